// SqliteStore's delivery calls (declared in list/store/sqlite_store.hpp):
// claiming due outbound copies with a lease, recording attempts, the
// operators' queue commands, failed copies for the daily summary and the
// members' bounce scores. Kept apart so the delivery SQL reads in one place.
#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <list/audit.hpp>
#include <list/store/connection_pool.hpp>
#include <list/store/sql_errors.hpp>
#include <list/store/sqlite_store.hpp>
#include <list/store/sqlite_support.hpp>
#include <list/store/timestamp.hpp>

namespace list {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;
using sqlite::ConnectionPool;
using sqlite::from_blob;
using sqlite::k_single_statement;
using sqlite::nullable;
using sqlite::optional_id;
using sqlite::run;
using sqlite::to_blob;
using sqlite::TransactionKind;
using sqlite::write_audit;

namespace {

/// "2024-05-01T09:30:00Z" -> unix seconds (0 if it does not parse).
std::int64_t parse_iso8601(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm));
}

struct BouncingRows {
  static constexpr const char* k_columns =
      "id, list_id, email, role, fingerprint, state, created_at, bounce_score, last_bounce_at, "
      "disabled_by_bounces, bounce_warnings, last_bounce_warning_at";
  std::vector<Poco::Int64> id, list_id;
  std::vector<std::string> email, role, fingerprint, state, created_at;
  std::vector<Poco::Int64> score, last_bounce, disabled, warnings, last_warning;

  void into_all(Statement& statement) {
    statement, into(id), into(list_id), into(email), into(role), into(fingerprint), into(state),
        into(created_at), into(score), into(last_bounce), into(disabled), into(warnings),
        into(last_warning);
  }
  std::vector<BouncingMember> records() const {
    std::vector<BouncingMember> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      BouncingMember m;
      m.member.id = id[i];
      m.member.list_id = list_id[i];
      m.member.email = email[i];
      m.member.role = parse_role(role[i]).value_or(Role::member);
      m.member.fingerprint = fingerprint[i];
      m.member.state = state[i] == "disabled" ? MemberState::disabled : MemberState::active;
      m.member.created_at = created_at[i];
      m.bounce.score = static_cast<int>(score[i]);
      m.bounce.last_bounce_at = last_bounce[i];
      m.bounce.disabled_by_bounces = disabled[i] != 0;
      m.bounce.warnings_sent = static_cast<int>(warnings[i]);
      m.bounce.last_warning_at = last_warning[i];
      out.push_back(std::move(m));
    }
    return out;
  }
};

} // namespace

Result<void> SqliteStore::enqueue_outbound(const std::vector<OutboundMessage>& messages) {
  return run(*m_pool, TransactionKind::write, "cannot queue outgoing mail",
             [&](Session& session) -> Result<void> {
               const std::string stamp = sqlite::utc_now_iso8601();
               const Poco::Int64 due = parse_iso8601(stamp);
               for (const OutboundMessage& message : messages) {
                 session << "INSERT INTO outbound (list_id, inbound_id, member_id, envelope_from, "
                            "recipient, data, state, attempts, next_attempt_at, claimed_until, "
                            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, 0, "
                            "?, ?)",
                     bind(nullable(message.list_id)), bind(nullable(message.inbound_id)),
                     bind(nullable(message.member_id)), bind(message.envelope_from),
                     bind(message.recipient), bind(to_blob(message.data)), bind(due), bind(stamp),
                     bind(stamp), now;
               }
               return {};
             });
}

Result<std::vector<QueuedCopy>>
SqliteStore::claim_outbound(std::int64_t now_s, std::int64_t lease_seconds, std::size_t limit) {
  return run(
      *m_pool, TransactionKind::write, "cannot claim queued mail",
      [&](Session& session) -> Result<std::vector<QueuedCopy>> {
        std::vector<Poco::Int64> id;
        std::vector<Poco::Nullable<Poco::Int64>> list_id, member_id;
        std::vector<std::string> envelope_from, recipient, created_at;
        std::vector<Poco::Data::BLOB> data;
        std::vector<Poco::Int64> attempts, due;
        const Poco::Int64 until = now_s + lease_seconds;
        const Poco::Int64 at = now_s;
        const auto wanted = static_cast<Poco::Int64>(limit);
        // One statement claims and reads: no other worker can take the same
        // rows between a SELECT and an UPDATE (PostgreSQL would add SKIP LOCKED).
        session << "UPDATE outbound SET claimed_until = ? WHERE id IN (SELECT id FROM outbound "
                   "WHERE state = 'queued' AND next_attempt_at <= ? AND claimed_until <= ? "
                   "ORDER BY next_attempt_at, id LIMIT ?) RETURNING id, list_id, member_id, "
                   "envelope_from, recipient, data, attempts, created_at, next_attempt_at",
            bind(until), bind(at), bind(at), bind(wanted), into(id), into(list_id), into(member_id),
            into(envelope_from), into(recipient), into(data), into(attempts), into(created_at),
            into(due), now;
        std::vector<std::pair<Poco::Int64, QueuedCopy>> rows;
        for (std::size_t i = 0; i < id.size(); ++i) {
          QueuedCopy copy;
          copy.id = id[i];
          copy.list_id = optional_id(list_id[i]);
          copy.member_id = optional_id(member_id[i]);
          copy.envelope_from = std::move(envelope_from[i]);
          copy.recipient = std::move(recipient[i]);
          copy.data = from_blob(data[i]);
          copy.attempts = static_cast<int>(attempts[i]);
          copy.enqueued_at = parse_iso8601(created_at[i]);
          rows.emplace_back(due[i], std::move(copy));
        }
        // RETURNING gives no order.
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
          return a.first != b.first ? a.first < b.first : a.second.id < b.second.id;
        });
        std::vector<QueuedCopy> out;
        out.reserve(rows.size());
        for (auto& row : rows) {
          out.push_back(std::move(row.second));
        }
        return out;
      });
}

Result<void> SqliteStore::record_deliveries(const std::vector<DeliveryRecord>& records) {
  if (records.empty()) {
    return {};
  }
  const std::string doing = fmt::format("cannot record {} delivery attempt(s)", records.size());
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    const std::string stamp = sqlite::utc_now_iso8601();
    for (const DeliveryRecord& record : records) {
      const std::string state = to_string(record.state);
      const Poco::Int64 code = record.code;
      const Poco::Int64 next = record.next_attempt_at;
      if (record.state == DeliveryState::delivered) {
        // A delivered copy's bytes are no longer needed: least data at rest.
        session << "UPDATE outbound SET state = 'delivered', attempts = attempts + 1, "
                   "claimed_until = 0, data = NULL, last_code = ?, last_enhanced = ?, "
                   "last_reply = ?, updated_at = ? WHERE id = ?",
            bind(code), bind(record.enhanced), bind(record.reply), bind(stamp), bind(record.id),
            now;
      } else {
        session << "UPDATE outbound SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
                   "claimed_until = 0, last_code = ?, last_enhanced = ?, last_reply = ?, "
                   "updated_at = ? WHERE id = ?",
            bind(state), bind(next), bind(code), bind(record.enhanced), bind(record.reply),
            bind(stamp), bind(record.id), now;
      }
    }
    return {};
  });
}

Result<void> SqliteStore::release_outbound_claims() {
  return run(*m_pool, k_single_statement, "cannot release queue leases",
             [&](Session& session) -> Result<void> {
               session << "UPDATE outbound SET claimed_until = 0 WHERE state = 'queued' AND "
                          "claimed_until <> 0",
                   now;
               return {};
             });
}

Result<QueueSummary> SqliteStore::queue_summary(std::size_t next_limit) {
  return run(
      *m_pool, TransactionKind::read, "cannot read the queue",
      [&](Session& session) -> Result<QueueSummary> {
        QueueSummary summary;
        std::vector<std::string> state;
        std::vector<Poco::Int64> count;
        session << "SELECT state, COUNT(*) FROM outbound GROUP BY state", into(state), into(count),
            now;
        for (std::size_t i = 0; i < state.size(); ++i) {
          (state[i] == "queued"      ? summary.queued
           : state[i] == "delivered" ? summary.delivered
                                     : summary.failed) = count[i];
        }
        std::vector<std::string> oldest;
        session << "SELECT created_at FROM outbound WHERE state = 'queued' ORDER BY "
                   "created_at LIMIT 1",
            into(oldest), now;
        if (!oldest.empty()) {
          summary.oldest_queued = oldest.front();
        }
        std::vector<Poco::Int64> id, next, attempts;
        std::vector<std::string> recipient;
        const auto wanted = static_cast<Poco::Int64>(next_limit);
        session << "SELECT id, recipient, next_attempt_at, attempts FROM outbound WHERE "
                   "state = 'queued' ORDER BY next_attempt_at, id LIMIT ?",
            bind(wanted), into(id), into(recipient), into(next), into(attempts), now;
        for (std::size_t i = 0; i < id.size(); ++i) {
          summary.next_attempts.push_back(
              QueueSummary::Next{id[i], recipient[i], next[i], static_cast<int>(attempts[i])});
        }
        // Grouped by code and enhanced code, one sample text each: texts
        // usually name the recipient and would never group.
        std::vector<std::string> error_state, enhanced, reply;
        std::vector<Poco::Int64> code, error_count;
        session << "SELECT state, last_code, COALESCE(last_enhanced, ''), "
                   "MIN(COALESCE(last_reply, '')), COUNT(*) FROM outbound WHERE state IN "
                   "('queued', 'failed') AND last_code IS NOT NULL GROUP BY state, "
                   "last_code, COALESCE(last_enhanced, '') ORDER BY COUNT(*) DESC LIMIT 20",
            into(error_state), into(code), into(enhanced), into(reply), into(error_count), now;
        for (std::size_t i = 0; i < error_state.size(); ++i) {
          summary.errors.push_back(QueueSummary::Error{error_state[i], static_cast<int>(code[i]),
                                                       enhanced[i], reply[i], error_count[i]});
        }
        return summary;
      });
}

Result<std::int64_t> SqliteStore::retry_outbound(std::optional<Id> id, std::int64_t now_s,
                                                 const AuditEvent& audit) {
  return run(*m_pool, TransactionKind::write, "cannot retry queued mail",
             [&](Session& session) -> Result<std::int64_t> {
               const Poco::Int64 due = now_s;
               const std::string stamp = sqlite::utc_now_iso8601();
               Statement statement(session);
               if (id) {
                 // A failed copy gets a fresh lifetime: the operator asked for it.
                 statement << "UPDATE outbound SET state = 'queued', next_attempt_at = ?, "
                              "claimed_until = 0, created_at = CASE WHEN state = 'failed' THEN ? "
                              "ELSE created_at END, updated_at = ? WHERE id = ? AND state IN "
                              "('queued', 'failed')",
                     bind(due), bind(stamp), bind(stamp), bind(*id);
               } else {
                 statement << "UPDATE outbound SET next_attempt_at = ?, updated_at = ? WHERE "
                              "state = 'queued' AND next_attempt_at > ?",
                     bind(due), bind(stamp), bind(due);
               }
               const auto changed = static_cast<std::int64_t>(statement.execute());
               if (id && changed == 0) {
                 return util::permanent(
                     fmt::format("there is no queued or failed copy with id {}", *id));
               }
               write_audit(session, audit);
               return changed;
             });
}

Result<void> SqliteStore::purge_outbound(Id id, const AuditEvent& audit) {
  return run(*m_pool, TransactionKind::write, fmt::format("cannot purge copy {}", id),
             [&](Session& session) -> Result<void> {
               Statement statement(session);
               statement << "DELETE FROM outbound WHERE id = ?", bind(id);
               if (statement.execute() == 0) {
                 return util::permanent(
                     fmt::format("there is no copy with id {} in the queue", id));
               }
               write_audit(session, audit);
               return {};
             });
}

Result<std::vector<FailedCopy>> SqliteStore::failed_since(std::string_view since) {
  return run(*m_pool, k_single_statement, "cannot read failed mail",
             [&](Session& session) -> Result<std::vector<FailedCopy>> {
               std::vector<Poco::Int64> id;
               std::vector<Poco::Nullable<Poco::Int64>> list_id, code;
               std::vector<std::string> recipient, enhanced, reply, updated_at;
               session << "SELECT id, list_id, recipient, last_code, COALESCE(last_enhanced, ''), "
                          "COALESCE(last_reply, ''), updated_at FROM outbound WHERE state = "
                          "'failed' AND updated_at >= ? ORDER BY updated_at, id",
                   bind(std::string(since)), into(id), into(list_id), into(recipient), into(code),
                   into(enhanced), into(reply), into(updated_at), now;
               std::vector<FailedCopy> out;
               for (std::size_t i = 0; i < id.size(); ++i) {
                 out.push_back(FailedCopy{id[i], optional_id(list_id[i]), recipient[i],
                                          code[i].isNull() ? 0 : static_cast<int>(code[i].value()),
                                          enhanced[i], reply[i], updated_at[i]});
               }
               return out;
             });
}

Result<std::optional<BouncingMember>> SqliteStore::bouncing_member(Id member) {
  return run(*m_pool, k_single_statement, fmt::format("cannot read member {}", member),
             [&](Session& session) -> Result<std::optional<BouncingMember>> {
               BouncingRows rows;
               Statement statement(session);
               statement << "SELECT " << BouncingRows::k_columns << " FROM members WHERE id = ?",
                   bind(member);
               rows.into_all(statement);
               statement.execute();
               auto records = rows.records();
               if (records.empty()) {
                 return std::nullopt;
               }
               return std::move(records.front());
             });
}

Result<std::vector<BouncingMember>> SqliteStore::bounce_disabled_members() {
  return run(*m_pool, k_single_statement, "cannot read members disabled by bounces",
             [&](Session& session) -> Result<std::vector<BouncingMember>> {
               BouncingRows rows;
               Statement statement(session);
               statement << "SELECT " << BouncingRows::k_columns
                         << " FROM members WHERE disabled_by_bounces <> 0 ORDER BY id";
               rows.into_all(statement);
               statement.execute();
               return rows.records();
             });
}

Result<void> SqliteStore::save_bounce_score(Id member, const BounceScore& score, MemberState state,
                                            const AuditEvent& audit) {
  return run(*m_pool, TransactionKind::write, fmt::format("cannot save member {}", member),
             [&](Session& session) -> Result<void> {
               const Poco::Int64 value = score.score;
               const Poco::Int64 disabled = score.disabled_by_bounces ? 1 : 0;
               const Poco::Int64 warnings = score.warnings_sent;
               const std::string state_text = to_string(state);
               Statement statement(session);
               statement << "UPDATE members SET bounce_score = ?, last_bounce_at = ?, "
                            "disabled_by_bounces = ?, bounce_warnings = ?, "
                            "last_bounce_warning_at = ?, state = ? WHERE id = ?",
                   bind(value), bind(score.last_bounce_at), bind(disabled), bind(warnings),
                   bind(score.last_warning_at), bind(state_text), bind(member);
               if (statement.execute() == 0) {
                 return util::permanent(fmt::format("there is no member with id {}", member));
               }
               if (!audit.action.empty()) {
                 write_audit(session, audit);
               }
               return {};
             });
}

} // namespace list
