// What every SqliteStore translation unit needs: running a body in a pooled
// connection and transaction with errors as values, BLOB conversions, and the
// audit chain append. One copy, so the three store files cannot drift apart.
#pragma once

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Nullable.h>
#include <fmt/format.h>
#include <list/store/connection_pool.hpp>
#include <list/store/sql_errors.hpp>
#include <list/types.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace list::sqlite {

/// No transaction: one statement, autocommit.
inline constexpr std::optional<TransactionKind> k_single_statement = std::nullopt;

/// Runs `body(session)` on a pooled connection, inside a transaction of `kind`
/// if given, committing only if it returns a value; any exception rolls back
/// and becomes an error that starts with `doing`.
template <class F>
auto run(ConnectionPool& pool, std::optional<TransactionKind> kind, std::string_view doing,
         F&& body) -> decltype(body(std::declval<Poco::Data::Session&>())) {
  using R = decltype(body(std::declval<Poco::Data::Session&>()));
  try {
    auto lease = pool.acquire();
    if (!lease) {
      return tl::unexpected(
          util::Error{lease.error().severity, fmt::format("{}: {}", doing, lease.error().message)});
    }
    if (!kind) {
      return body(lease->session());
    }
    Transaction transaction(*lease, *kind);
    R result = body(lease->session());
    if (result) {
      transaction.commit();
    }
    return result;
  } catch (const std::exception& failure) {
    return tl::unexpected(to_error(failure, doing));
  }
}

Poco::Data::BLOB to_blob(std::string_view bytes);
std::string from_blob(const Poco::Data::BLOB& blob);
Poco::Nullable<Poco::Int64> nullable(const std::optional<Id>& id);
std::optional<Id> optional_id(const Poco::Nullable<Poco::Int64>& value);

/// Appends `event` to the audit hash chain. Runs inside the caller's write
/// transaction: BEGIN IMMEDIATE serialises writers (threads and processes),
/// so two appends can never read the same last hash and fork the chain.
void write_audit(Poco::Data::Session& session, const AuditEvent& event);

} // namespace list::sqlite
