#include <array>
#include <fmt/format.h>
#include <list/store/migrations.hpp>
#include <list/store/timestamp.hpp>

namespace list::sqlite {

using namespace Poco::Data::Keywords;

namespace {

// Byte columns ({blob}) allow NULL: Poco binds an empty BLOB as NULL, so
// NULL reads back as empty bytes.
// Times are ISO 8601 UTC text written by the store (not by SQL defaults,
// which differ between databases), except member key expiry, which is unix
// seconds as in list/types.hpp. Case-insensitive uniqueness uses lower() in
// expression indexes, which PostgreSQL has too.
constexpr std::array<std::string_view, 8> k_v1{
    R"(CREATE TABLE lists (
  id {id},
  address TEXT NOT NULL,
  name TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at TEXT NOT NULL
))",
    "CREATE UNIQUE INDEX lists_address ON lists (lower(address))",
    R"(CREATE TABLE list_settings (
  list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (list_id, name)
))",
    R"(CREATE TABLE members (
  id {id},
  list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('member', 'moderator', 'admin')),
  fingerprint TEXT NOT NULL,
  key_expires BIGINT,
  state TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
  public_key {blob},
  created_at TEXT NOT NULL
))",
    "CREATE UNIQUE INDEX members_list_email ON members (list_id, lower(email))",
    // A moderator of a deleted list goes with it: SET NULL would widen the
    // account to every list.
    R"(CREATE TABLE users (
  id {id},
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'moderator')),
  list_id BIGINT REFERENCES lists (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
))",
    "CREATE UNIQUE INDEX users_email ON users (lower(email))",
    R"(CREATE TABLE audit_log (
  id {id},
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
))",
};

// Recipients in a child table rather than JSON: the pipeline routes by them
// and PostgreSQL and SQLite agree on plain rows.
constexpr std::array<std::string_view, 3> k_v2{
    R"(CREATE TABLE inbound (
  id {id},
  queue_id TEXT NOT NULL UNIQUE,
  mail_from TEXT NOT NULL,
  data {blob},
  received_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('new'))
))",
    "CREATE INDEX inbound_state ON inbound (state, id)",
    R"(CREATE TABLE inbound_recipients (
  inbound_id BIGINT NOT NULL REFERENCES inbound (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (inbound_id, ordinal)
))",
};

// The pipeline. SQLite cannot change a CHECK constraint in place, so the
// spool tables are rebuilt: recipients first (DROP TABLE with foreign keys on
// is an implicit DELETE and would cascade), then renamed back; RENAME also
// rewrites the foreign key of inbound_recipients. expanded_through is the
// member id of the last committed batch of copies: expansion resumes after it.
constexpr std::array<std::string_view, 18> k_v3{
    R"(CREATE TABLE inbound_v3 (
  id {id},
  queue_id TEXT NOT NULL UNIQUE,
  mail_from TEXT NOT NULL,
  data {blob},
  received_at TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('new', 'processing', 'done', 'held', 'rejected', 'bounce')),
  claimed_until BIGINT NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  expanded_through BIGINT NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT ''
))",
    "INSERT INTO inbound_v3 (id, queue_id, mail_from, data, received_at, state) "
    "SELECT id, queue_id, mail_from, data, received_at, state FROM inbound",
    R"(CREATE TABLE inbound_recipients_v3 (
  inbound_id BIGINT NOT NULL REFERENCES inbound_v3 (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (inbound_id, ordinal)
))",
    "INSERT INTO inbound_recipients_v3 (inbound_id, ordinal, address) "
    "SELECT inbound_id, ordinal, address FROM inbound_recipients",
    "DROP TABLE inbound_recipients",
    "DROP TABLE inbound",
    "ALTER TABLE inbound_v3 RENAME TO inbound",
    "ALTER TABLE inbound_recipients_v3 RENAME TO inbound_recipients",
    "CREATE INDEX inbound_state ON inbound (state, id)",
    // Opaque VERP tags: made lazily by the store before expansion.
    "ALTER TABLE members ADD COLUMN verp_tag TEXT",
    "CREATE UNIQUE INDEX members_verp_tag ON members (verp_tag)",
    R"(CREATE TABLE held (
  id {id},
  list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  inbound_id BIGINT NOT NULL UNIQUE REFERENCES inbound (id) ON DELETE CASCADE,
  sender TEXT NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('held', 'approved', 'rejected')),
  decision_reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  decided_at TEXT
))",
    "CREATE INDEX held_list ON held (list_id, state)",
    R"(CREATE TABLE outbound (
  id {id},
  list_id BIGINT REFERENCES lists (id) ON DELETE CASCADE,
  inbound_id BIGINT,
  member_id BIGINT,
  envelope_from TEXT NOT NULL,
  recipient TEXT NOT NULL,
  data {blob},
  state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'failed')),
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  claimed_until BIGINT NOT NULL,
  last_code INTEGER,
  last_enhanced TEXT,
  last_reply TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
))",
    "CREATE INDEX outbound_due ON outbound (state, next_attempt_at)",
    R"(CREATE TABLE list_secrets (
  list_id BIGINT PRIMARY KEY REFERENCES lists (id) ON DELETE CASCADE,
  secret {blob}
))",
    // Rate limits of replies and notices: key -> when the last one went out.
    R"(CREATE TABLE notice_log (
  key TEXT PRIMARY KEY,
  sent_at BIGINT NOT NULL
))",
    "CREATE INDEX outbound_inbound ON outbound (inbound_id, member_id)",
};

// Delivery (issue 5): Mailman-3-style bounce scores on members; the index
// serves `queue show`'s error groups and the daily failure summary.
constexpr std::array<std::string_view, 6> k_v4{
    "ALTER TABLE members ADD COLUMN bounce_score INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE members ADD COLUMN last_bounce_at BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE members ADD COLUMN disabled_by_bounces INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE members ADD COLUMN bounce_warnings INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE members ADD COLUMN last_bounce_warning_at BIGINT NOT NULL DEFAULT 0",
    "CREATE INDEX outbound_updated ON outbound (state, updated_at)",
};

constexpr std::array k_migrations{
    Migration{1, "lists, list settings, members, panel users, audit log",         k_v1},
    Migration{2, "inbound spool",                                                 k_v2},
    Migration{3, "pipeline: spool states, held posts, outbound queue, VERP tags", k_v3},
    Migration{4, "delivery: bounce scores",                                       k_v4},
};

// AUTOINCREMENT: ids are never reused after a delete, so an old id in a log
// line or a queue row can never name a newer row.
constexpr std::string_view k_sqlite_id = "INTEGER PRIMARY KEY AUTOINCREMENT";
constexpr std::string_view k_sqlite_blob = "BLOB";

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

} // namespace

std::span<const Migration> migrations() {
  return k_migrations;
}

int latest_version() {
  return k_migrations.back().version;
}

std::string sqlite_dialect(std::string_view statement) {
  std::string out(statement);
  replace_all(out, "{id}", k_sqlite_id);
  replace_all(out, "{blob}", k_sqlite_blob);
  return out;
}

int current_version(Poco::Data::Session& session) {
  int version = 0;
  session << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(version), now;
  return version;
}

util::Result<int> migrate(Lease& lease, std::optional<int> up_to) {
  Poco::Data::Session& session = lease.session();
  // IMMEDIATE: two processes opening a fresh database at once must not both
  // apply migration 1; the second waits, then finds it done.
  Transaction transaction(lease, TransactionKind::write);
  session << R"(CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TEXT NOT NULL
))",
      now;
  const int current = current_version(session);
  if (current > latest_version()) {
    return util::permanent(
        fmt::format("database schema is version {} but this lifeline knows up to {}: "
                    "upgrade lifeline",
                    current, latest_version()));
  }
  const int target = up_to.value_or(latest_version());
  int reached = current;
  for (const Migration& migration : k_migrations) {
    if (migration.version <= current || migration.version > target) {
      continue;
    }
    for (std::string_view statement : migration.statements) {
      session << sqlite_dialect(statement), now;
    }
    std::string description(migration.description);
    std::string applied_at = utc_now_iso8601();
    int version = migration.version;
    session << "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
        use(version), use(description), use(applied_at), now;
    reached = migration.version;
  }
  transaction.commit();
  return reached;
}

} // namespace list::sqlite
