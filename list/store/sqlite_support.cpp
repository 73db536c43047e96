#include <list/audit.hpp>
#include <list/store/sqlite_support.hpp>
#include <list/store/timestamp.hpp>
#include <vector>

namespace list::sqlite {

using namespace Poco::Data::Keywords;

Poco::Data::BLOB to_blob(std::string_view bytes) {
  return Poco::Data::BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string from_blob(const Poco::Data::BLOB& blob) {
  return blob.size() == 0
             ? std::string()
             : std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

Poco::Nullable<Poco::Int64> nullable(const std::optional<Id>& id) {
  return id ? Poco::Nullable<Poco::Int64>(*id) : Poco::Nullable<Poco::Int64>();
}

std::optional<Id> optional_id(const Poco::Nullable<Poco::Int64>& value) {
  return value.isNull() ? std::nullopt : std::optional<Id>(value.value());
}

void write_audit(Poco::Data::Session& session, const AuditEvent& event) {
  std::vector<std::string> last;
  session << "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", into(last), now;
  const std::string prev = last.empty() ? std::string(audit_genesis_hash()) : last.front();
  const std::string time = utc_now_iso8601();
  const std::string hash = audit_hash(prev, time, event);
  session << "INSERT INTO audit_log (time, actor, action, target, detail, prev_hash, hash) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)",
      bind(time), bind(event.actor), bind(event.action), bind(event.target), bind(event.detail),
      bind(prev), bind(hash), now;
}

} // namespace list::sqlite
