// list::Store on an SQLite file (WAL, synchronous=FULL): the embedded default.
// Thread-safe: each call borrows a connection from a small pool. Errors are
// Results: busy/locked/I/O -> transient, constraints and bad schema -> permanent.
#pragma once

#include <chrono>
#include <cstddef>
#include <list/store.hpp>
#include <memory>
#include <optional>
#include <string>

namespace list {

namespace sqlite {
class ConnectionPool;
}

struct SqliteOptions {
  /// Connections kept open; SQLite serialises writers anyway, so a few suffice.
  std::size_t max_connections = 8;
  /// How long a call waits for the write lock or a free connection before it
  /// fails transiently.
  std::chrono::milliseconds busy_timeout{5000};
  /// Test hook: apply migrations only up to this version (nullopt: all).
  std::optional<int> migrate_up_to;
};

/// The highest schema version this build knows.
int known_schema_version();

class SqliteStore final : public Store {
public:
  explicit SqliteStore(std::unique_ptr<sqlite::ConnectionPool> pool);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<ListRecord> create_list(const ListRecord& list, const AuditEvent& audit) override;
  Result<std::optional<ListRecord>> find_list(std::string_view address) override;
  Result<std::vector<ListRecord>> all_lists() override;
  Result<void> delete_list(Id list, const AuditEvent& audit) override;
  Result<SettingMap> list_settings(Id list) override;
  Result<void> set_list_setting(Id list, std::string_view name, std::string_view value,
                                const AuditEvent& audit) override;

  Result<MemberRecord> add_member(const MemberRecord& member, std::string_view public_key,
                                  const AuditEvent& audit) override;
  Result<std::optional<MemberRecord>> find_member(Id list, std::string_view email) override;
  Result<std::vector<MemberRecord>> members(Id list) override;
  Result<std::string> member_key(Id member) override;
  Result<void> remove_member(Id member, const AuditEvent& audit) override;

  Result<UserRecord> add_user(const UserRecord& user, const AuditEvent& audit) override;
  Result<std::optional<UserRecord>> find_user(std::string_view email) override;

  Result<void> append_audit(const AuditEvent& audit) override;
  Result<std::vector<AuditEntry>> audit_log() override;

  Result<void> spool_inbound(std::vector<InboundMessage>& batch) override;
  Result<std::vector<InboundMessage>> pending_inbound(std::size_t limit) override;

  // ---- pipeline (issue 4), defined in list/store/sqlite_posts.cpp ----------
  Result<std::vector<ClaimedPost>> claim_inbound(std::int64_t now, std::int64_t lease_seconds,
                                                 std::size_t limit) override;
  Result<std::size_t> release_inbound_leases() override;
  Result<void> renew_inbound_lease(Id inbound, std::int64_t claimed_until) override;
  Result<void> enqueue_copies(Id inbound, Id from_member, Id through_member,
                              const std::vector<OutboundMessage>& copies) override;
  Result<void> finish_inbound(Id inbound, InboundState state, std::string_view outcome,
                              const std::vector<OutboundMessage>& messages) override;
  Result<Id> hold_inbound(Id inbound, Id list, std::string_view sender, std::string_view reason,
                          const std::vector<OutboundMessage>& messages) override;
  Result<std::vector<HeldPost>> held_posts(Id list) override;
  Result<std::optional<HeldPost>> find_held(Id held) override;
  Result<void> decide_held(Id held, HeldDecision decision, std::string_view reason,
                           const AuditEvent& audit) override;
  Result<std::vector<ExpansionMember>> expansion_batch(Id list, Id after_member,
                                                       std::size_t limit) override;
  Result<std::optional<MemberRecord>> find_member_by_verp_tag(Id list,
                                                              std::string_view tag) override;
  Result<std::string> list_secret(Id list) override;
  Result<bool> take_notice_slot(std::string_view key, std::int64_t now,
                                std::int64_t interval) override;
  Result<void> update_member_key(Id member, std::string_view fingerprint,
                                 std::optional<std::int64_t> key_expires,
                                 std::string_view public_key, const AuditEvent& audit) override;
  // ---- end pipeline -----------------------------------------------------------

  // ---- delivery (issue 5), defined in list/store/sqlite_queue.cpp ----------
  Result<void> enqueue_outbound(const std::vector<OutboundMessage>& messages) override;
  Result<std::vector<QueuedCopy>> claim_outbound(std::int64_t now, std::int64_t lease_seconds,
                                                 std::size_t limit) override;
  Result<void> record_deliveries(const std::vector<DeliveryRecord>& records) override;
  Result<void> release_outbound_claims() override;
  Result<QueueSummary> queue_summary(std::size_t next_limit) override;
  Result<std::int64_t> retry_outbound(std::optional<Id> id, std::int64_t now,
                                      const AuditEvent& audit) override;
  Result<void> purge_outbound(Id id, const AuditEvent& audit) override;
  Result<std::vector<FailedCopy>> failed_since(std::string_view since) override;
  Result<std::optional<BouncingMember>> bouncing_member(Id member) override;
  Result<std::vector<BouncingMember>> bounce_disabled_members() override;
  Result<void> save_bounce_score(Id member, const BounceScore& score, MemberState state,
                                 const AuditEvent& audit) override;
  // ---- end delivery -----------------------------------------------------------

  Result<int> schema_version() override;

private:
  std::unique_ptr<sqlite::ConnectionPool> m_pool;
};

/// Opens (creating if needed) the database at `path` and applies pending
/// migrations. Refuses, permanently, a database newer than this build. The
/// store is safe to share between threads and with other processes.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options = {});

} // namespace list
