#include <Poco/Data/SQLite/Connector.h>
#include <algorithm>
#include <cstdint>
#include <fmt/format.h>
#include <list/store/connection_pool.hpp>
#include <mutex>

namespace list::sqlite {

using namespace Poco::Data::Keywords;

namespace {

void register_connector_once() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

} // namespace

Lease::Lease(ConnectionPool& pool, std::unique_ptr<Poco::Data::Session> session)
    : m_pool(&pool), m_session(std::move(session)) {}

Lease::Lease(Lease&& other) noexcept
    : m_pool(other.m_pool), m_session(std::move(other.m_session)), m_discard(other.m_discard) {
  other.m_pool = nullptr;
}

Lease::~Lease() {
  if (m_pool != nullptr && m_session) {
    m_pool->give_back(std::move(m_session), m_discard);
  }
}

ConnectionPool::ConnectionPool(std::string path, std::size_t max_connections,
                               std::chrono::milliseconds busy_timeout)
    : m_path(std::move(path)), m_max_connections(max_connections == 0 ? 1 : max_connections),
      m_busy_timeout(busy_timeout) {
  register_connector_once();
}

std::unique_ptr<Poco::Data::Session> ConnectionPool::connect() {
  // Poco retries a failing open until its login timeout (60 s by default);
  // a missing directory or a permission problem should not take that long.
  const auto login_seconds = static_cast<std::size_t>(
      std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(m_busy_timeout).count()));
  auto session = std::make_unique<Poco::Data::Session>("SQLite", m_path, login_seconds);
  // Every pragma here is per connection (journal_mode persists in the file,
  // but asking again is cheap and tells us whether WAL is really on).
  // busy_timeout comes first so that the journal_mode switch waits too.
  *session << fmt::format("PRAGMA busy_timeout = {}", m_busy_timeout.count()), now;
  std::string mode;
  *session << "PRAGMA journal_mode = WAL", into(mode), now;
  if (mode != "wal") {
    throw Poco::Data::DataException(
        fmt::format("{}: cannot use write-ahead logging (journal_mode is {})", m_path, mode));
  }
  // FULL: the WAL is fsync'd at every commit. The SMTP 250 promises that.
  *session << "PRAGMA synchronous = FULL", now;
  *session << "PRAGMA foreign_keys = ON", now;
  return session;
}

util::Result<Lease> ConnectionPool::acquire() {
  std::unique_lock lock(m_mutex);
  const bool available = m_returned.wait_for(
      lock, m_busy_timeout, [&] { return !m_idle.empty() || m_open < m_max_connections; });
  if (!available) {
    return util::transient(
        fmt::format("{}: all {} database connections are busy", m_path, m_max_connections));
  }
  if (!m_idle.empty()) {
    auto session = std::move(m_idle.back());
    m_idle.pop_back();
    return Lease(*this, std::move(session));
  }
  ++m_open;
  lock.unlock();
  try {
    return Lease(*this, connect());
  } catch (...) {
    lock.lock();
    --m_open;
    m_returned.notify_one();
    throw;
  }
}

void ConnectionPool::give_back(std::unique_ptr<Poco::Data::Session> session, bool discard) {
  if (discard) {
    session.reset(); // closing rolls back whatever the connection was left in
  }
  std::lock_guard lock(m_mutex);
  if (session) {
    m_idle.push_back(std::move(session));
  } else {
    --m_open;
  }
  m_returned.notify_one();
}

Transaction::Transaction(Lease& lease, TransactionKind kind) : m_lease(lease) {
  m_lease.session() << (kind == TransactionKind::write ? "BEGIN IMMEDIATE" : "BEGIN"), now;
  m_open = true;
}

Transaction::~Transaction() {
  if (!m_open) {
    return;
  }
  try {
    m_lease.session() << "ROLLBACK", now;
  } catch (...) {
    m_lease.discard();
  }
}

void Transaction::commit() {
  m_lease.session() << "COMMIT", now;
  m_open = false;
}

} // namespace list::sqlite
