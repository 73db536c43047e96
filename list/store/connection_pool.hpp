// A small pool of Poco::Data SQLite sessions, each configured for durability
// (WAL, synchronous=FULL, foreign keys, busy timeout), and the transaction
// guard the store's calls run in. Failures throw Poco exceptions; the store
// turns them into Results (list/store/sql_errors.hpp).
#pragma once

#include <Poco/Data/Session.h>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <util/result.hpp>
#include <vector>

namespace list::sqlite {

class ConnectionPool;

/// A session borrowed from the pool, returned when the lease ends.
class Lease {
public:
  Lease(ConnectionPool& pool, std::unique_ptr<Poco::Data::Session> session);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  Poco::Data::Session& session() { return *m_session; }

  /// Closes the session instead of returning it (its state is unknown, e.g.
  /// a ROLLBACK failed); closing an SQLite connection rolls back.
  void discard() { m_discard = true; }

private:
  ConnectionPool* m_pool;
  std::unique_ptr<Poco::Data::Session> m_session;
  bool m_discard = false;
};

class ConnectionPool {
public:
  ConnectionPool(std::string path, std::size_t max_connections,
                 std::chrono::milliseconds busy_timeout);

  /// An idle session, a new one while under the limit, or, after waiting
  /// busy_timeout for one to come back, a transient error.
  util::Result<Lease> acquire();

  const std::string& path() const { return m_path; }

private:
  friend class Lease;
  std::unique_ptr<Poco::Data::Session> connect();
  void give_back(std::unique_ptr<Poco::Data::Session> session, bool discard);

  const std::string m_path;
  const std::size_t m_max_connections;
  const std::chrono::milliseconds m_busy_timeout;
  std::mutex m_mutex;
  std::condition_variable m_returned;
  std::vector<std::unique_ptr<Poco::Data::Session>> m_idle;
  std::size_t m_open = 0; // idle + leased + being opened
};

enum class TransactionKind {
  read, // BEGIN: a consistent snapshot for several SELECTs
  write // BEGIN IMMEDIATE: takes the write lock up front, so two writers never
        // deadlock upgrading from read to write (SQLITE_BUSY without waiting)
};

/// BEGIN on construction, ROLLBACK on destruction unless committed.
class Transaction {
public:
  Transaction(Lease& lease, TransactionKind kind);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();

private:
  Lease& m_lease;
  bool m_open = false;
};

} // namespace list::sqlite
