// The schema as numbered migrations, applied in order inside one transaction
// at open; the schema_version table records each. Errors: Poco exceptions for
// SQL failures, a permanent Result for a database newer than this build.
#pragma once

#include <Poco/Data/Session.h>
#include <list/store/connection_pool.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list::sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::span<const std::string_view> statements; // in the portable dialect below
};

/// Every migration, by ascending version.
std::span<const Migration> migrations();

/// The last migration's version.
int latest_version();

/// `statement` with the dialect placeholders filled for SQLite: {id} (an
/// auto-assigned 64-bit primary key) and {blob} (raw bytes). A PostgreSQL
/// store fills them with GENERATED ... AS IDENTITY and BYTEA; nothing else
/// in the schema differs.
std::string sqlite_dialect(std::string_view statement);

/// The version recorded in `session`'s database (0: empty database).
int current_version(Poco::Data::Session& session);

/// Applies the migrations above the database's version, up to `up_to`
/// (nullopt: all), in one write transaction; returns the resulting version.
util::Result<int> migrate(Lease& lease, std::optional<int> up_to);

} // namespace list::sqlite
