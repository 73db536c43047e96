#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <tests/unit/store/raw_sql.hpp>

namespace store_test {

using namespace Poco::Data::Keywords;

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-store-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(m_path, ignored);
}

struct RawSql::Impl {
  explicit Impl(const std::string& path) : session("SQLite", path) {}
  Poco::Data::Session session;
};

RawSql::RawSql(const std::string& path) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
  m_impl = std::make_unique<Impl>(path);
  m_impl->session << "PRAGMA busy_timeout = 5000", now;
}

RawSql::~RawSql() = default;

void RawSql::execute(const std::string& sql) {
  m_impl->session << sql, now;
}

std::int64_t RawSql::count(const std::string& sql) {
  Poco::Int64 value = 0;
  m_impl->session << sql, into(value), now;
  return value;
}

} // namespace store_test
