// The store interface: every SQL statement of Lifeline sits behind it.
// Implementations: list/store/sqlite_store (embedded default), later PostgreSQL.
// Expected failures are Results; a mutating call writes its audit entry in the
// same transaction as the change, so no change goes unaudited.
#pragma once

#include <list/delivery_records.hpp>
#include <list/post_records.hpp>
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

  // ---- pipeline (issue 4): claimed posts, held posts, outbound INSERT side,
  // VERP tags, per-list secrets, notice rate limits ----------------------

  /// Claims up to `limit` inbound messages that are new or whose lease ran
  /// out (a crashed worker's), leasing them until now + lease_seconds.
  virtual Result<std::vector<ClaimedPost>>
  claim_inbound(std::int64_t now, std::int64_t lease_seconds, std::size_t limit) = 0;
  /// Ends every inbound lease: for a node that alone uses the store (SQLite)
  /// at startup, when no worker of its own can hold one; returns how many.
  virtual Result<std::size_t> release_inbound_leases() = 0;
  /// Extends the lease of a message this worker holds.
  virtual Result<void> renew_inbound_lease(Id inbound, std::int64_t claimed_until) = 0;
  /// Queues one batch of copies and moves the post's progress marker from
  /// `from_member` to `through_member` in one transaction. Fails permanently,
  /// queueing nothing, if the marker is no longer `from_member` (another
  /// worker took over the post).
  virtual Result<void> enqueue_copies(Id inbound, Id from_member, Id through_member,
                                      const std::vector<OutboundMessage>& copies) = 0;
  /// Sets the final state (done, rejected, bounce) with `messages` (replies,
  /// notices) queued in the same transaction.
  virtual Result<void> finish_inbound(Id inbound, InboundState state, std::string_view outcome,
                                      const std::vector<OutboundMessage>& messages) = 0;
  /// Holds a post for moderation (it stays as it arrived); returns the held id.
  virtual Result<Id> hold_inbound(Id inbound, Id list, std::string_view sender,
                                  std::string_view reason,
                                  const std::vector<OutboundMessage>& messages) = 0;
  virtual Result<std::vector<HeldPost>> held_posts(Id list) = 0;
  virtual Result<std::optional<HeldPost>> find_held(Id held) = 0;
  /// Records a moderator's decision and hands the post back to the pipeline,
  /// which carries it out (distributes, or replies with `reason`).
  virtual Result<void> decide_held(Id held, HeldDecision decision, std::string_view reason,
                                   const AuditEvent& audit) = 0;
  /// Up to `limit` members with id > after_member, by id, with tags and keys;
  /// gives members without a VERP tag one first.
  virtual Result<std::vector<ExpansionMember>> expansion_batch(Id list, Id after_member,
                                                               std::size_t limit) = 0;
  virtual Result<std::optional<MemberRecord>> find_member_by_verp_tag(Id list,
                                                                      std::string_view tag) = 0;
  /// The list's secret for derived tokens (made on first use, 32 bytes).
  virtual Result<std::string> list_secret(Id list) = 0;
  /// True, and records `now`, if nothing was sent under `key` in the last
  /// `interval` seconds; false otherwise (rate limits on replies and notices).
  virtual Result<bool> take_notice_slot(std::string_view key, std::int64_t now,
                                        std::int64_t interval) = 0;
  /// Replaces a member's key (key update by mail), audited.
  virtual Result<void> update_member_key(Id member, std::string_view fingerprint,
                                         std::optional<std::int64_t> key_expires,
                                         std::string_view public_key, const AuditEvent& audit) = 0;
  // ---- end pipeline -------------------------------------------------------

  // ---- delivery (issue 5): the outbound queue's worker side, operators'
  // queue commands, bounce scores --------------------------------------
  /// Queues messages (notices, warnings) for delivery, due now.
  virtual Result<void> enqueue_outbound(const std::vector<OutboundMessage>& messages) = 0;
  /// Claims up to `limit` queued copies due at `now` and not leased, leasing
  /// them until now + lease_seconds; oldest due first.
  virtual Result<std::vector<QueuedCopy>>
  claim_outbound(std::int64_t now, std::int64_t lease_seconds, std::size_t limit) = 0;
  /// Records attempts in one transaction; a copy's lease ends with it.
  virtual Result<void> record_deliveries(const std::vector<DeliveryRecord>& records) = 0;
  /// Ends every lease: at daemon start, a single node's earlier leases belong
  /// to a process that is gone.
  virtual Result<void> release_outbound_claims() = 0;
  virtual Result<QueueSummary> queue_summary(std::size_t next_limit) = 0;
  /// Makes queued copies (or copy `id`, also when failed) due at `now`;
  /// returns how many, audited.
  virtual Result<std::int64_t> retry_outbound(std::optional<Id> id, std::int64_t now,
                                              const AuditEvent& audit) = 0;
  /// Deletes copy `id` from the queue, audited.
  virtual Result<void> purge_outbound(Id id, const AuditEvent& audit) = 0;
  /// Copies that failed with updated_at >= since (ISO 8601), oldest first.
  virtual Result<std::vector<FailedCopy>> failed_since(std::string_view since) = 0;
  virtual Result<std::optional<BouncingMember>> bouncing_member(Id member) = 0;
  /// Members disabled by bounces (for warnings and removal).
  virtual Result<std::vector<BouncingMember>> bounce_disabled_members() = 0;
  /// Saves a member's score, and its state when disabled/enabled by it, audited.
  virtual Result<void> save_bounce_score(Id member, const BounceScore& score, MemberState state,
                                         const AuditEvent& audit) = 0;
  // ---- end delivery -------------------------------------------------------

  /// The schema version the database is at.
  virtual Result<int> schema_version() = 0;
};

} // namespace list
