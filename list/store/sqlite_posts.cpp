// SqliteStore's pipeline calls (declared in list/store/sqlite_store.hpp):
// claiming inbound posts with a lease, queueing copies in batches with the
// progress marker, held posts, VERP tags, list secrets and notice slots.
// Kept apart from sqlite_store.cpp so the pipeline's SQL reads in one place.
#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <chrono>
#include <fmt/format.h>
#include <list/audit.hpp>
#include <list/store/connection_pool.hpp>
#include <list/store/sql_errors.hpp>
#include <list/store/sqlite_store.hpp>
#include <list/store/sqlite_support.hpp>
#include <list/store/timestamp.hpp>
#include <util/random.hpp>

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

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// INSERTs `messages` as queued, due now.
void insert_outbound(Session& session, const std::vector<OutboundMessage>& messages) {
  const std::string stamp = sqlite::utc_now_iso8601();
  const Poco::Int64 due = unix_now();
  for (const OutboundMessage& message : messages) {
    session << "INSERT INTO outbound (list_id, inbound_id, member_id, envelope_from, recipient, "
               "data, state, attempts, next_attempt_at, claimed_until, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, 0, ?, ?)",
        bind(nullable(message.list_id)), bind(nullable(message.inbound_id)),
        bind(nullable(message.member_id)), bind(message.envelope_from), bind(message.recipient),
        bind(to_blob(message.data)), bind(due), bind(stamp), bind(stamp), now;
  }
}

HeldDecision parse_decision(std::string_view state) {
  return state == "approved"   ? HeldDecision::approve
         : state == "rejected" ? HeldDecision::reject
                               : HeldDecision::none;
}

struct HeldRows {
  static constexpr const char* k_columns =
      "h.id, h.list_id, h.inbound_id, i.queue_id, h.sender, h.reason, h.state, h.created_at, "
      "length(i.data)";
  std::vector<Poco::Int64> id, list_id, inbound_id;
  std::vector<std::string> queue_id, sender, reason, state, created_at;
  std::vector<Poco::Nullable<Poco::Int64>> size;

  void into_all(Statement& statement) {
    statement, into(id), into(list_id), into(inbound_id), into(queue_id), into(sender),
        into(reason), into(state), into(created_at), into(size);
  }
  std::vector<HeldPost> records() const {
    std::vector<HeldPost> out;
    for (size_t i = 0; i < id.size(); ++i) {
      out.push_back(HeldPost{id[i], list_id[i], inbound_id[i], queue_id[i], sender[i], reason[i],
                             state[i], created_at[i],
                             size[i].isNull() ? 0 : static_cast<std::int64_t>(size[i].value())});
    }
    return out;
  }
};

} // namespace

Result<std::vector<ClaimedPost>>
SqliteStore::claim_inbound(std::int64_t now_s, std::int64_t lease_seconds, std::size_t limit) {
  return run(
      *m_pool, TransactionKind::write, "cannot claim inbound messages",
      [&](Session& session) -> Result<std::vector<ClaimedPost>> {
        std::vector<Poco::Int64> id;
        const auto wanted = static_cast<Poco::Int64>(limit);
        const Poco::Int64 at = now_s;
        // A processing row whose lease ran out belonged to a worker that died.
        session << "SELECT id FROM inbound WHERE state = 'new' OR "
                   "(state = 'processing' AND claimed_until < ?) ORDER BY id LIMIT ?",
            bind(at), bind(wanted), into(id), now;
        std::vector<ClaimedPost> claimed;
        const Poco::Int64 until = now_s + lease_seconds;
        for (Poco::Int64 one : id) {
          session << "UPDATE inbound SET state = 'processing', claimed_until = ?, "
                     "attempts = attempts + 1 WHERE id = ?",
              bind(until), bind(one), now;
          std::vector<std::string> queue_id, mail_from, received_at;
          std::vector<Poco::Data::BLOB> data;
          std::vector<int> attempts;
          std::vector<Poco::Int64> through;
          session << "SELECT queue_id, mail_from, data, received_at, attempts, expanded_through "
                     "FROM inbound WHERE id = ?",
              bind(one), into(queue_id), into(mail_from), into(data), into(received_at),
              into(attempts), into(through), now;
          ClaimedPost post;
          post.message.id = one;
          post.message.queue_id = queue_id.front();
          post.message.mail_from = mail_from.front();
          post.message.data = from_blob(data.front());
          post.message.received_at = received_at.front();
          post.attempts = attempts.front();
          post.expanded_through = through.front();
          session << "SELECT address FROM inbound_recipients WHERE inbound_id = ? ORDER BY ordinal",
              bind(one), into(post.message.rcpt_to), now;
          std::vector<Poco::Int64> held_id;
          std::vector<std::string> held_state, held_reason;
          session << "SELECT id, state, decision_reason FROM held WHERE inbound_id = ?", bind(one),
              into(held_id), into(held_state), into(held_reason), now;
          if (!held_id.empty()) {
            post.held_id = held_id.front();
            post.decision = parse_decision(held_state.front());
            post.decision_reason = held_reason.front();
          }
          claimed.push_back(std::move(post));
        }
        return claimed;
      });
}

Result<std::size_t> SqliteStore::release_inbound_leases() {
  return run(*m_pool, TransactionKind::write, "cannot release inbound leases",
             [&](Session& session) -> Result<std::size_t> {
               int leased = 0;
               session << "SELECT COUNT(*) FROM inbound WHERE state = 'processing'", into(leased),
                   now;
               session << "UPDATE inbound SET claimed_until = 0 WHERE state = 'processing'", now;
               return static_cast<std::size_t>(leased);
             });
}

Result<void> SqliteStore::renew_inbound_lease(Id inbound, std::int64_t claimed_until) {
  return run(*m_pool, k_single_statement, "cannot renew the lease of an inbound message",
             [&](Session& session) -> Result<void> {
               const Poco::Int64 until = claimed_until;
               session << "UPDATE inbound SET claimed_until = ? WHERE id = ? AND "
                          "state = 'processing'",
                   bind(until), bind(inbound), now;
               return {};
             });
}

Result<void> SqliteStore::enqueue_copies(Id inbound, Id from_member, Id through_member,
                                         const std::vector<OutboundMessage>& copies) {
  const std::string doing = fmt::format("cannot queue copies of inbound {}", inbound);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    // BEGIN IMMEDIATE serialises writers: the marker read here cannot move
    // before COMMIT, so a batch is queued at most once.
    std::vector<Poco::Int64> through;
    std::vector<std::string> state;
    session << "SELECT expanded_through, state FROM inbound WHERE id = ?", bind(inbound),
        into(through), into(state), now;
    if (through.empty() || state.front() != "processing" || through.front() != from_member) {
      return util::permanent(fmt::format("{}: another worker has taken the message over", doing));
    }
    insert_outbound(session, copies);
    session << "UPDATE inbound SET expanded_through = ? WHERE id = ?", bind(through_member),
        bind(inbound), now;
    return {};
  });
}

Result<void> SqliteStore::finish_inbound(Id inbound, InboundState state, std::string_view outcome,
                                         const std::vector<OutboundMessage>& messages) {
  const std::string doing = fmt::format("cannot finish inbound {}", inbound);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    insert_outbound(session, messages);
    session << "UPDATE inbound SET state = ?, outcome = ?, claimed_until = 0 WHERE id = ?",
        bind(std::string(to_string(state))), bind(std::string(outcome)), bind(inbound), now;
    return {};
  });
}

Result<Id> SqliteStore::hold_inbound(Id inbound, Id list, std::string_view sender,
                                     std::string_view reason,
                                     const std::vector<OutboundMessage>& messages) {
  const std::string doing = fmt::format("cannot hold inbound {}", inbound);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<Id> {
    insert_outbound(session, messages);
    const std::string stamp = sqlite::utc_now_iso8601();
    Poco::Int64 id = 0;
    session << "INSERT INTO held (list_id, inbound_id, sender, reason, state, created_at) "
               "VALUES (?, ?, ?, ?, 'held', ?) "
               "ON CONFLICT (inbound_id) DO UPDATE SET state = 'held' RETURNING id",
        bind(list), bind(inbound), bind(std::string(sender)), bind(std::string(reason)),
        bind(stamp), into(id), now;
    session << "UPDATE inbound SET state = 'held', outcome = 'held', claimed_until = 0 "
               "WHERE id = ?",
        bind(inbound), now;
    return static_cast<Id>(id);
  });
}

Result<std::vector<HeldPost>> SqliteStore::held_posts(Id list) {
  const std::string doing = fmt::format("cannot read the held posts of list {}", list);
  return run(*m_pool, k_single_statement, doing,
             [&](Session& session) -> Result<std::vector<HeldPost>> {
               HeldRows rows;
               Statement statement(session);
               statement << "SELECT " << HeldRows::k_columns
                         << " FROM held h JOIN inbound i ON i.id = h.inbound_id "
                            "WHERE h.list_id = ? AND h.state = 'held' ORDER BY h.id",
                   bind(list);
               rows.into_all(statement);
               statement.execute();
               return rows.records();
             });
}

Result<std::optional<HeldPost>> SqliteStore::find_held(Id held) {
  const std::string doing = fmt::format("cannot look up held post {}", held);
  return run(*m_pool, k_single_statement, doing,
             [&](Session& session) -> Result<std::optional<HeldPost>> {
               HeldRows rows;
               Statement statement(session);
               statement << "SELECT " << HeldRows::k_columns
                         << " FROM held h JOIN inbound i ON i.id = h.inbound_id WHERE h.id = ?",
                   bind(held);
               rows.into_all(statement);
               statement.execute();
               auto records = rows.records();
               if (records.empty()) {
                 return std::optional<HeldPost>();
               }
               return std::optional<HeldPost>(std::move(records.front()));
             });
}

Result<void> SqliteStore::decide_held(Id held, HeldDecision decision, std::string_view reason,
                                      const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot decide held post {}", held);
  if (decision == HeldDecision::none) {
    return util::permanent(fmt::format("{}: no decision given", doing));
  }
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    std::vector<std::string> state;
    std::vector<Poco::Int64> inbound;
    session << "SELECT state, inbound_id FROM held WHERE id = ?", bind(held), into(state),
        into(inbound), now;
    if (state.empty()) {
      return util::permanent(fmt::format("there is no held post {}", held));
    }
    if (state.front() != "held") {
      return util::permanent(fmt::format("held post {} was already {}", held, state.front()));
    }
    const std::string decided = decision == HeldDecision::approve ? "approved" : "rejected";
    const std::string stamp = sqlite::utc_now_iso8601();
    session << "UPDATE held SET state = ?, decision_reason = ?, decided_at = ? WHERE id = ?",
        bind(decided), bind(std::string(reason)), bind(stamp), bind(held), now;
    // Back to the spool: the pipeline carries the decision out like any work.
    session << "UPDATE inbound SET state = 'new', claimed_until = 0, expanded_through = 0 "
               "WHERE id = ?",
        bind(inbound.front()), now;
    write_audit(session, audit);
    return {};
  });
}

Result<std::vector<ExpansionMember>> SqliteStore::expansion_batch(Id list, Id after_member,
                                                                  std::size_t limit) {
  const std::string doing = fmt::format("cannot read the members of list {}", list);
  return run(
      *m_pool, TransactionKind::write, doing,
      [&](Session& session) -> Result<std::vector<ExpansionMember>> {
        const auto wanted = static_cast<Poco::Int64>(limit);
        std::vector<Poco::Int64> untagged;
        session << "SELECT id FROM members WHERE list_id = ? AND id > ? AND verp_tag IS NULL "
                   "ORDER BY id LIMIT ?",
            bind(list), bind(after_member), bind(wanted), into(untagged), now;
        for (Poco::Int64 member : untagged) {
          // 10 bytes: 80 bits, unguessable, short enough for a local part.
          std::string tag = util::random_token(10);
          session << "UPDATE members SET verp_tag = ? WHERE id = ?", bind(tag), bind(member), now;
        }
        std::vector<Poco::Int64> id, list_id;
        std::vector<std::string> email, role, fingerprint;
        std::vector<Poco::Nullable<Poco::Int64>> key_expires;
        std::vector<std::string> state, created_at, verp_tag;
        std::vector<Poco::Data::BLOB> key;
        session << "SELECT id, list_id, email, role, fingerprint, key_expires, state, created_at, "
                   "verp_tag, public_key FROM members WHERE list_id = ? AND id > ? "
                   "ORDER BY id LIMIT ?",
            bind(list), bind(after_member), bind(wanted), into(id), into(list_id), into(email),
            into(role), into(fingerprint), into(key_expires), into(state), into(created_at),
            into(verp_tag), into(key), now;
        std::vector<ExpansionMember> out;
        out.reserve(id.size());
        for (size_t i = 0; i < id.size(); ++i) {
          ExpansionMember one;
          one.member.id = id[i];
          one.member.list_id = list_id[i];
          one.member.email = std::move(email[i]);
          one.member.role = parse_role(role[i]).value_or(Role::member);
          one.member.fingerprint = std::move(fingerprint[i]);
          if (!key_expires[i].isNull()) {
            one.member.key_expires = key_expires[i].value();
          }
          one.member.state = state[i] == to_string(MemberState::disabled) ? MemberState::disabled
                                                                          : MemberState::active;
          one.member.created_at = std::move(created_at[i]);
          one.verp_tag = std::move(verp_tag[i]);
          one.public_key = from_blob(key[i]);
          out.push_back(std::move(one));
        }
        return out;
      });
}

Result<std::optional<MemberRecord>> SqliteStore::find_member_by_verp_tag(Id list,
                                                                         std::string_view tag) {
  return run(*m_pool, k_single_statement, "cannot look up a VERP tag",
             [&](Session& session) -> Result<std::optional<MemberRecord>> {
               std::vector<std::string> email;
               session << "SELECT email FROM members WHERE list_id = ? AND verp_tag = ?",
                   bind(list), bind(std::string(tag)), into(email), now;
               if (email.empty()) {
                 return std::optional<MemberRecord>();
               }
               return find_member(list, email.front());
             });
}

Result<std::string> SqliteStore::list_secret(Id list) {
  const std::string doing = fmt::format("cannot read the secret of list {}", list);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<std::string> {
    std::vector<Poco::Data::BLOB> secret;
    session << "SELECT secret FROM list_secrets WHERE list_id = ?", bind(list), into(secret), now;
    if (!secret.empty()) {
      return from_blob(secret.front());
    }
    std::string made = util::random_hex(32);
    session << "INSERT INTO list_secrets (list_id, secret) VALUES (?, ?)", bind(list),
        bind(to_blob(made)), now;
    return made;
  });
}

Result<bool> SqliteStore::take_notice_slot(std::string_view key, std::int64_t now_s,
                                           std::int64_t interval) {
  return run(*m_pool, TransactionKind::write, "cannot check a notice rate limit",
             [&](Session& session) -> Result<bool> {
               std::vector<Poco::Int64> sent;
               const std::string name(key);
               session << "SELECT sent_at FROM notice_log WHERE key = ?", bind(name), into(sent),
                   now;
               if (!sent.empty() && now_s - sent.front() < interval) {
                 return false;
               }
               const Poco::Int64 at = now_s;
               session << "INSERT INTO notice_log (key, sent_at) VALUES (?, ?) "
                          "ON CONFLICT (key) DO UPDATE SET sent_at = excluded.sent_at",
                   bind(name), bind(at), now;
               return true;
             });
}

Result<void> SqliteStore::update_member_key(Id member, std::string_view fingerprint,
                                            std::optional<std::int64_t> key_expires,
                                            std::string_view public_key, const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot update the key of member {}", member);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    Poco::Nullable<Poco::Int64> expires;
    if (key_expires) {
      expires = *key_expires;
    }
    int existing = 0;
    session << "SELECT COUNT(*) FROM members WHERE id = ?", bind(member), into(existing), now;
    if (existing == 0) {
      return util::permanent(fmt::format("there is no member with id {}", member));
    }
    session << "UPDATE members SET fingerprint = ?, key_expires = ?, public_key = ? WHERE id = ?",
        bind(std::string(fingerprint)), bind(expires), bind(to_blob(public_key)), bind(member), now;
    write_audit(session, audit);
    return {};
  });
}

} // namespace list
