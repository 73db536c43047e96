// The store interface: every SQL statement of Lifeline sits behind it.
// Implementations: list/store/sqlite_store (embedded default), later PostgreSQL.
// Expected failures are Results; a mutating call writes its audit entry in the
// same transaction as the change, so no change goes unaudited.
#pragma once

#include <list/types.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace list {

using util::Result;

/// Per-list settings as stored: name -> validated value (see list/settings.hpp).
using SettingMap = std::map<std::string, std::string, std::less<>>;

class Store {
public:
  virtual ~Store() = default;

  // Lists. create_list fills id and created_at; a duplicate address is permanent.
  virtual Result<ListRecord> create_list(const ListRecord& list, const AuditEvent& audit) = 0;
  virtual Result<std::optional<ListRecord>> find_list(std::string_view address) = 0;
  virtual Result<std::vector<ListRecord>> all_lists() = 0;
  virtual Result<void> delete_list(Id list, const AuditEvent& audit) = 0;
  virtual Result<SettingMap> list_settings(Id list) = 0;
  virtual Result<void> set_list_setting(Id list, std::string_view name, std::string_view value,
                                        const AuditEvent& audit) = 0;

  // Members. public_key is the member's key as imported (binary or armored).
  virtual Result<MemberRecord> add_member(const MemberRecord& member, std::string_view public_key,
                                          const AuditEvent& audit) = 0;
  virtual Result<std::optional<MemberRecord>> find_member(Id list, std::string_view email) = 0;
  virtual Result<std::vector<MemberRecord>> members(Id list) = 0;
  virtual Result<std::string> member_key(Id member) = 0;
  virtual Result<void> remove_member(Id member, const AuditEvent& audit) = 0;

  // Panel users. A duplicate email is permanent.
  virtual Result<UserRecord> add_user(const UserRecord& user, const AuditEvent& audit) = 0;
  virtual Result<std::optional<UserRecord>> find_user(std::string_view email) = 0;

  // Audit log: append for changes that have no other store call; read in order.
  virtual Result<void> append_audit(const AuditEvent& audit) = 0;
  virtual Result<std::vector<AuditEntry>> audit_log() = 0;

  // Inbound spool. One call stores a batch in one durable transaction (group
  // commit) and fills each message's id; received_at is set by the store.
  virtual Result<void> spool_inbound(std::vector<InboundMessage>& batch) = 0;
  virtual Result<std::vector<InboundMessage>> pending_inbound(std::size_t limit) = 0;

  /// The schema version the database is at.
  virtual Result<int> schema_version() = 0;
};

} // namespace list
