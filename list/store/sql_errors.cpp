#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <fmt/format.h>
#include <list/store/sql_errors.hpp>

namespace list::sqlite {

namespace {

namespace pds = Poco::Data::SQLite;

template <class... E> bool is_any(const std::exception& failure) {
  return ((dynamic_cast<const E*>(&failure) != nullptr) || ...);
}

std::string describe(const std::exception& failure) {
  const auto* poco = dynamic_cast<const Poco::Exception*>(&failure);
  return poco != nullptr ? poco->displayText() : std::string(failure.what());
}

bool is_transient(const std::exception& failure) {
  if (is_any<pds::DBLockedException, pds::TableLockedException, pds::IOErrorException,
             pds::DatabaseFullException, pds::ReadOnlyException, pds::NoMemoryException,
             pds::InterruptException, pds::LockProtocolException, pds::CantOpenDBFileException,
             Poco::Data::ConnectionFailedException>(failure)) {
    return true;
  }
  // Poco maps SQLite result codes by their primary value; an extended code
  // (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_FSYNC, ...) may arrive as a plain
  // SQLiteException, so look at SQLite's own words as well.
  const std::string text = describe(failure);
  for (std::string_view sign : {"database is locked", "database table is locked", "disk I/O error",
                                "busy", "readonly database"}) {
    if (text.find(sign) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

util::Error to_error(const std::exception& failure, std::string_view doing) {
  const std::string message = fmt::format("{}: {}", doing, describe(failure));
  return util::Error{is_transient(failure) ? util::Severity::transient : util::Severity::permanent,
                     message};
}

} // namespace list::sqlite
