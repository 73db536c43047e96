#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <filesystem>
#include <fmt/format.h>
#include <list/audit.hpp>
#include <list/store/connection_pool.hpp>
#include <list/store/migrations.hpp>
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

MemberState parse_member_state(std::string_view text) {
  return text == to_string(MemberState::disabled) ? MemberState::disabled : MemberState::active;
}

// Rows read into one vector per column, then turned into records.

struct ListRows {
  static constexpr const char* k_columns = "id, address, name, fingerprint, created_at";
  std::vector<Poco::Int64> id;
  std::vector<std::string> address, name, fingerprint, created_at;

  void into_all(Statement& statement) {
    statement, into(id), into(address), into(name), into(fingerprint), into(created_at);
  }
  std::vector<ListRecord> records() const {
    std::vector<ListRecord> out;
    for (size_t i = 0; i < id.size(); ++i) {
      out.push_back(ListRecord{id[i], address[i], name[i], fingerprint[i], created_at[i]});
    }
    return out;
  }
};

struct MemberRows {
  static constexpr const char* k_columns =
      "id, list_id, email, role, fingerprint, key_expires, state, created_at";
  std::vector<Poco::Int64> id, list_id;
  std::vector<std::string> email, role, fingerprint;
  std::vector<Poco::Nullable<Poco::Int64>> key_expires;
  std::vector<std::string> state, created_at;

  void into_all(Statement& statement) {
    statement, into(id), into(list_id), into(email), into(role), into(fingerprint),
        into(key_expires), into(state), into(created_at);
  }
  std::vector<MemberRecord> records() const {
    std::vector<MemberRecord> out;
    for (size_t i = 0; i < id.size(); ++i) {
      MemberRecord member;
      member.id = id[i];
      member.list_id = list_id[i];
      member.email = email[i];
      member.role = parse_role(role[i]).value_or(Role::member);
      member.fingerprint = fingerprint[i];
      if (!key_expires[i].isNull()) {
        member.key_expires = key_expires[i].value();
      }
      member.state = parse_member_state(state[i]);
      member.created_at = created_at[i];
      out.push_back(std::move(member));
    }
    return out;
  }
};

struct UserRows {
  static constexpr const char* k_columns = "id, email, role, list_id, password_hash, created_at";
  std::vector<Poco::Int64> id;
  std::vector<std::string> email, role;
  std::vector<Poco::Nullable<Poco::Int64>> list_id;
  std::vector<std::string> password_hash, created_at;

  void into_all(Statement& statement) {
    statement, into(id), into(email), into(role), into(list_id), into(password_hash),
        into(created_at);
  }
  std::vector<UserRecord> records() const {
    std::vector<UserRecord> out;
    for (size_t i = 0; i < id.size(); ++i) {
      UserRecord user;
      user.id = id[i];
      user.email = email[i];
      user.role = parse_role(role[i]).value_or(Role::moderator);
      if (!list_id[i].isNull()) {
        user.list_id = list_id[i].value();
      }
      user.password_hash = password_hash[i];
      user.created_at = created_at[i];
      out.push_back(std::move(user));
    }
    return out;
  }
};

template <class Rows>
std::optional<typename decltype(std::declval<Rows>().records())::value_type>
first_of(const Rows& rows) {
  auto records = rows.records();
  if (records.empty()) {
    return std::nullopt;
  }
  return std::move(records.front());
}

/// The address of list `list`, or nullopt if there is none.
std::optional<std::string> list_address(Session& session, Id list) {
  std::vector<std::string> address;
  session << "SELECT address FROM lists WHERE id = ?", bind(list), into(address), now;
  if (address.empty()) {
    return std::nullopt;
  }
  return address.front();
}

util::Error no_list(Id list) {
  return util::Error{util::Severity::permanent, fmt::format("there is no list with id {}", list)};
}

} // namespace

int known_schema_version() {
  return sqlite::latest_version();
}

SqliteStore::SqliteStore(std::unique_ptr<ConnectionPool> pool) : m_pool(std::move(pool)) {}

SqliteStore::~SqliteStore() = default;

// ---- lists -------------------------------------------------------------

Result<ListRecord> SqliteStore::create_list(const ListRecord& list, const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot create list {}", list.address);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<ListRecord> {
    // Checked first for a clear message; the unique index stays the guard.
    int existing = 0;
    session << "SELECT COUNT(*) FROM lists WHERE lower(address) = lower(?)", bind(list.address),
        into(existing), now;
    if (existing > 0) {
      return util::permanent(fmt::format("list {} is already there", list.address));
    }
    ListRecord created = list;
    created.created_at = sqlite::utc_now_iso8601();
    Poco::Int64 id = 0;
    session << "INSERT INTO lists (address, name, fingerprint, created_at) VALUES (?, ?, ?, ?) "
               "RETURNING id",
        bind(created.address), bind(created.name), bind(created.fingerprint),
        bind(created.created_at), into(id), now;
    created.id = id;
    write_audit(session, audit);
    return created;
  });
}

Result<std::optional<ListRecord>> SqliteStore::find_list(std::string_view address) {
  const std::string doing = fmt::format("cannot look up list {}", address);
  return run(*m_pool, k_single_statement, doing,
             [&](Session& session) -> Result<std::optional<ListRecord>> {
               ListRows rows;
               Statement statement(session);
               statement << "SELECT " << ListRows::k_columns
                         << " FROM lists WHERE lower(address) = lower(?)",
                   bind(std::string(address));
               rows.into_all(statement);
               statement.execute();
               return first_of(rows);
             });
}

Result<std::vector<ListRecord>> SqliteStore::all_lists() {
  return run(*m_pool, k_single_statement, "cannot read the lists",
             [&](Session& session) -> Result<std::vector<ListRecord>> {
               ListRows rows;
               Statement statement(session);
               statement << "SELECT " << ListRows::k_columns << " FROM lists ORDER BY address";
               rows.into_all(statement);
               statement.execute();
               return rows.records();
             });
}

Result<void> SqliteStore::delete_list(Id list, const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot delete list {}", list);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    if (!list_address(session, list)) {
      return tl::unexpected(no_list(list));
    }
    // Settings, members and the list's moderator accounts go by ON DELETE CASCADE.
    session << "DELETE FROM lists WHERE id = ?", bind(list), now;
    write_audit(session, audit);
    return {};
  });
}

Result<SettingMap> SqliteStore::list_settings(Id list) {
  const std::string doing = fmt::format("cannot read the settings of list {}", list);
  return run(*m_pool, k_single_statement, doing, [&](Session& session) -> Result<SettingMap> {
    std::vector<std::string> names;
    std::vector<std::string> values;
    session << "SELECT name, value FROM list_settings WHERE list_id = ? ORDER BY name", bind(list),
        into(names), into(values), now;
    SettingMap settings;
    for (size_t i = 0; i < names.size(); ++i) {
      settings.emplace(std::move(names[i]), std::move(values[i]));
    }
    return settings;
  });
}

Result<void> SqliteStore::set_list_setting(Id list, std::string_view name, std::string_view value,
                                           const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot set {} of list {}", name, list);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    if (!list_address(session, list)) {
      return tl::unexpected(no_list(list));
    }
    // ON CONFLICT ... DO UPDATE: the upsert SQLite (3.24+) and PostgreSQL share.
    session << "INSERT INTO list_settings (list_id, name, value) VALUES (?, ?, ?) "
               "ON CONFLICT (list_id, name) DO UPDATE SET value = excluded.value",
        bind(list), bind(std::string(name)), bind(std::string(value)), now;
    write_audit(session, audit);
    return {};
  });
}

// ---- members -----------------------------------------------------------

Result<MemberRecord> SqliteStore::add_member(const MemberRecord& member,
                                             std::string_view public_key, const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot add member {}", member.email);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<MemberRecord> {
    const auto address = list_address(session, member.list_id);
    if (!address) {
      return tl::unexpected(no_list(member.list_id));
    }
    int existing = 0;
    session << "SELECT COUNT(*) FROM members WHERE list_id = ? AND lower(email) = lower(?)",
        bind(member.list_id), bind(member.email), into(existing), now;
    if (existing > 0) {
      return util::permanent(fmt::format("{} is already a member of {}", member.email, *address));
    }
    MemberRecord added = member;
    added.created_at = sqlite::utc_now_iso8601();
    Poco::Nullable<Poco::Int64> expires;
    if (member.key_expires) {
      expires = *member.key_expires;
    }
    Poco::Int64 id = 0;
    session << "INSERT INTO members (list_id, email, role, fingerprint, key_expires, state, "
               "public_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        bind(member.list_id), bind(member.email), bind(std::string(to_string(member.role))),
        bind(member.fingerprint), bind(expires), bind(std::string(to_string(member.state))),
        bind(to_blob(public_key)), bind(added.created_at), into(id), now;
    added.id = id;
    write_audit(session, audit);
    return added;
  });
}

Result<std::optional<MemberRecord>> SqliteStore::find_member(Id list, std::string_view email) {
  const std::string doing = fmt::format("cannot look up member {}", email);
  return run(*m_pool, k_single_statement, doing,
             [&](Session& session) -> Result<std::optional<MemberRecord>> {
               MemberRows rows;
               Statement statement(session);
               statement << "SELECT " << MemberRows::k_columns
                         << " FROM members WHERE list_id = ? AND lower(email) = lower(?)",
                   bind(list), bind(std::string(email));
               rows.into_all(statement);
               statement.execute();
               return first_of(rows);
             });
}

Result<std::vector<MemberRecord>> SqliteStore::members(Id list) {
  const std::string doing = fmt::format("cannot read the members of list {}", list);
  return run(*m_pool, k_single_statement, doing,
             [&](Session& session) -> Result<std::vector<MemberRecord>> {
               MemberRows rows;
               Statement statement(session);
               statement << "SELECT " << MemberRows::k_columns
                         << " FROM members WHERE list_id = ? ORDER BY lower(email), id",
                   bind(list);
               rows.into_all(statement);
               statement.execute();
               return rows.records();
             });
}

Result<std::string> SqliteStore::member_key(Id member) {
  const std::string doing = fmt::format("cannot read the key of member {}", member);
  return run(*m_pool, k_single_statement, doing, [&](Session& session) -> Result<std::string> {
    std::vector<Poco::Data::BLOB> keys;
    session << "SELECT public_key FROM members WHERE id = ?", bind(member), into(keys), now;
    if (keys.empty()) {
      return util::permanent(fmt::format("there is no member with id {}", member));
    }
    return from_blob(keys.front());
  });
}

Result<void> SqliteStore::remove_member(Id member, const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot remove member {}", member);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    int existing = 0;
    session << "SELECT COUNT(*) FROM members WHERE id = ?", bind(member), into(existing), now;
    if (existing == 0) {
      return util::permanent(fmt::format("there is no member with id {}", member));
    }
    session << "DELETE FROM members WHERE id = ?", bind(member), now;
    write_audit(session, audit);
    return {};
  });
}

// ---- panel users -------------------------------------------------------

Result<UserRecord> SqliteStore::add_user(const UserRecord& user, const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot add user {}", user.email);
  if (user.role == Role::member) {
    return util::permanent(
        fmt::format("{}: panel users are admins or moderators, not members", doing));
  }
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<UserRecord> {
    if (user.list_id && !list_address(session, *user.list_id)) {
      return tl::unexpected(no_list(*user.list_id));
    }
    int existing = 0;
    session << "SELECT COUNT(*) FROM users WHERE lower(email) = lower(?)", bind(user.email),
        into(existing), now;
    if (existing > 0) {
      return util::permanent(fmt::format("user {} is already there", user.email));
    }
    UserRecord added = user;
    added.created_at = sqlite::utc_now_iso8601();
    Poco::Nullable<Poco::Int64> list_id;
    if (user.list_id) {
      list_id = *user.list_id;
    }
    Poco::Int64 id = 0;
    session << "INSERT INTO users (email, role, list_id, password_hash, created_at) "
               "VALUES (?, ?, ?, ?, ?) RETURNING id",
        bind(user.email), bind(std::string(to_string(user.role))), bind(list_id),
        bind(user.password_hash), bind(added.created_at), into(id), now;
    added.id = id;
    write_audit(session, audit);
    return added;
  });
}

Result<std::optional<UserRecord>> SqliteStore::find_user(std::string_view email) {
  const std::string doing = fmt::format("cannot look up user {}", email);
  return run(*m_pool, k_single_statement, doing,
             [&](Session& session) -> Result<std::optional<UserRecord>> {
               UserRows rows;
               Statement statement(session);
               statement << "SELECT " << UserRows::k_columns
                         << " FROM users WHERE lower(email) = lower(?)",
                   bind(std::string(email));
               rows.into_all(statement);
               statement.execute();
               return first_of(rows);
             });
}

// ---- audit log ---------------------------------------------------------

Result<void> SqliteStore::append_audit(const AuditEvent& audit) {
  const std::string doing = fmt::format("cannot write audit entry {}", audit.action);
  return run(*m_pool, TransactionKind::write, doing, [&](Session& session) -> Result<void> {
    write_audit(session, audit);
    return {};
  });
}

Result<std::vector<AuditEntry>> SqliteStore::audit_log() {
  return run(*m_pool, k_single_statement, "cannot read the audit log",
             [&](Session& session) -> Result<std::vector<AuditEntry>> {
               std::vector<Poco::Int64> id;
               std::vector<std::string> time, actor, action, target, detail, prev_hash, hash;
               session << "SELECT id, time, actor, action, target, detail, prev_hash, hash "
                          "FROM audit_log ORDER BY id",
                   into(id), into(time), into(actor), into(action), into(target), into(detail),
                   into(prev_hash), into(hash), now;
               std::vector<AuditEntry> entries;
               entries.reserve(id.size());
               for (size_t i = 0; i < id.size(); ++i) {
                 entries.push_back(AuditEntry{
                     id[i], std::move(time[i]),
                     AuditEvent{std::move(actor[i]), std::move(action[i]), std::move(target[i]),
                                std::move(detail[i])},
                     std::move(prev_hash[i]), std::move(hash[i])
                 });
               }
               return entries;
             });
}

// ---- inbound spool -----------------------------------------------------

Result<void> SqliteStore::spool_inbound(std::vector<InboundMessage>& batch) {
  if (batch.empty()) {
    return {};
  }
  struct Assigned {
    Id id;
    std::string queue_id;
    std::string received_at;
  };
  const std::string doing = fmt::format("cannot spool {} message(s)", batch.size());
  // One transaction for the whole batch: one WAL fsync acknowledges them all.
  auto assigned =
      run(*m_pool, TransactionKind::write, doing,
          [&](Session& session) -> Result<std::vector<Assigned>> {
            const std::string received_at = sqlite::utc_now_iso8601();
            std::vector<Assigned> out;
            out.reserve(batch.size());
            for (const InboundMessage& message : batch) {
              // 10 random bytes: 16 base32 characters, 80 bits, unique in practice;
              // the UNIQUE constraint turns the improbable collision into an error.
              std::string queue_id =
                  message.queue_id.empty() ? util::random_token(10) : message.queue_id;
              Poco::Int64 id = 0;
              session << "INSERT INTO inbound (queue_id, mail_from, data, received_at, state) "
                         "VALUES (?, ?, ?, ?, 'new') RETURNING id",
                  bind(queue_id), bind(message.mail_from), bind(to_blob(message.data)),
                  bind(received_at), into(id), now;
              for (size_t i = 0; i < message.rcpt_to.size(); ++i) {
                session << "INSERT INTO inbound_recipients (inbound_id, ordinal, address) "
                           "VALUES (?, ?, ?)",
                    bind(id), bind(static_cast<Poco::Int64>(i)), bind(message.rcpt_to[i]), now;
              }
              out.push_back(Assigned{id, std::move(queue_id), received_at});
            }
            return out;
          });
  if (!assigned) {
    return tl::unexpected(assigned.error());
  }
  // Filled only after COMMIT: a failed batch leaves the caller's messages as they were.
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].id = (*assigned)[i].id;
    batch[i].queue_id = std::move((*assigned)[i].queue_id);
    batch[i].received_at = std::move((*assigned)[i].received_at);
  }
  return {};
}

Result<std::vector<InboundMessage>> SqliteStore::pending_inbound(std::size_t limit) {
  return run(*m_pool, TransactionKind::read, "cannot read the inbound spool",
             [&](Session& session) -> Result<std::vector<InboundMessage>> {
               std::vector<Poco::Int64> id;
               std::vector<std::string> queue_id, mail_from, received_at;
               std::vector<Poco::Data::BLOB> data;
               const auto wanted = static_cast<Poco::Int64>(limit);
               session << "SELECT id, queue_id, mail_from, data, received_at FROM inbound "
                          "WHERE state = 'new' ORDER BY id LIMIT ?",
                   bind(wanted), into(id), into(queue_id), into(mail_from), into(data),
                   into(received_at), now;
               std::vector<InboundMessage> messages;
               if (id.empty()) {
                 return messages;
               }
               for (size_t i = 0; i < id.size(); ++i) {
                 InboundMessage message;
                 message.id = id[i];
                 message.queue_id = std::move(queue_id[i]);
                 message.mail_from = std::move(mail_from[i]);
                 message.data = from_blob(data[i]);
                 message.received_at = std::move(received_at[i]);
                 messages.push_back(std::move(message));
               }
               // Same snapshot (read transaction): the first `limit` new messages
               // are exactly the new ones from the first to the last id read.
               std::vector<Poco::Int64> owner;
               std::vector<std::string> address;
               session << "SELECT r.inbound_id, r.address FROM inbound_recipients r "
                          "JOIN inbound i ON i.id = r.inbound_id "
                          "WHERE i.state = 'new' AND i.id BETWEEN ? AND ? "
                          "ORDER BY r.inbound_id, r.ordinal",
                   bind(id.front()), bind(id.back()), into(owner), into(address), now;
               size_t at = 0;
               for (size_t i = 0; i < owner.size(); ++i) {
                 while (messages[at].id != owner[i]) {
                   ++at;
                 }
                 messages[at].rcpt_to.push_back(std::move(address[i]));
               }
               return messages;
             });
}

Result<int> SqliteStore::schema_version() {
  return run(*m_pool, k_single_statement, "cannot read the schema version",
             [&](Session& session) -> Result<int> { return sqlite::current_version(session); });
}

// ---- opening -----------------------------------------------------------

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options) {
  const std::string doing = fmt::format("cannot open database {}", path);
  // Said at once: Poco would retry opening for the whole busy timeout first.
  std::error_code ignored;
  const std::filesystem::path parent = std::filesystem::absolute(path, ignored).parent_path();
  if (!std::filesystem::is_directory(parent, ignored)) {
    return util::permanent(fmt::format("{}: directory {} does not exist", doing, parent.string()));
  }
  try {
    auto pool =
        std::make_unique<ConnectionPool>(path, options.max_connections, options.busy_timeout);
    {
      auto lease = pool->acquire();
      if (!lease) {
        return tl::unexpected(util::Error{lease.error().severity,
                                          fmt::format("{}: {}", doing, lease.error().message)});
      }
      auto migrated = sqlite::migrate(*lease, options.migrate_up_to);
      if (!migrated) {
        return tl::unexpected(util::Error{migrated.error().severity,
                                          fmt::format("{}: {}", path, migrated.error().message)});
      }
    }
    return std::make_unique<SqliteStore>(std::move(pool));
  } catch (const std::exception& failure) {
    return tl::unexpected(sqlite::to_error(failure, doing));
  }
}

} // namespace list
