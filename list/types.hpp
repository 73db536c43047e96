// The list domain's records: lists, members, panel users, audit events and
// inbound messages, as plain values passed between the store and its callers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace list {

using Id = std::int64_t;

enum class Role { member, moderator, admin };
enum class MemberState { active, disabled };
enum class KeyType { ed25519, rsa4096 };

struct ListRecord {
  Id id = 0;
  std::string address;     // normalised: crew@lists.example.org
  std::string name;        // display name: "Crew"
  std::string fingerprint; // the list key's primary fingerprint
  std::string created_at;  // ISO 8601 UTC, set by the store
};

struct MemberRecord {
  Id id = 0;
  Id list_id = 0;
  std::string email; // normalised
  Role role = Role::member;
  std::string fingerprint;                 // empty: no key bound
  std::optional<std::int64_t> key_expires; // unix seconds; nullopt: never
  MemberState state = MemberState::active;
  std::string created_at;
};

struct UserRecord {
  Id id = 0;
  std::string email;
  Role role = Role::admin;   // admin or moderator
  std::optional<Id> list_id; // nullopt: every list (admins)
  std::string password_hash; // argon2id, libsodium's encoded form
  std::string created_at;
};

/// What happened, by whom, to what: every state change writes one.
struct AuditEvent {
  std::string actor;  // "cli:root", "web:alice@example.org", "mail:..."
  std::string action; // "list.create", "member.add", ...
  std::string target; // "crew@lists.example.org"
  std::string detail; // never secrets, bodies or subjects
};

struct AuditEntry {
  Id id = 0;
  std::string time; // ISO 8601 UTC
  AuditEvent event;
  std::string prev_hash; // hash of the entry before (64 zeros for the first)
  std::string hash;      // audit_hash(prev_hash, this entry)
};

/// A message accepted by SMTP intake, as it arrived.
struct InboundMessage {
  Id id = 0;
  std::string queue_id; // the ID in "250 2.0.0 Ok: queued as ID"
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string data; // raw bytes, CRLF line ends, dot-stuffing removed
  std::string received_at;
};

const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view text);
const char* to_string(MemberState state);

} // namespace list
