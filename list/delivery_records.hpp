// Delivery's records in the store (issue 5): a claimed outbound copy, the
// outcome of one delivery attempt, the queue summary operators read, and a
// member's bounce score. Plain values; the store calls that move them return
// util::Results.
#pragma once

#include <cstdint>
#include <list/types.hpp>
#include <optional>
#include <string>
#include <vector>

namespace list {

/// One queued copy claimed by a delivery worker (leased until claimed_until).
struct QueuedCopy {
  Id id = 0;
  std::optional<Id> list_id;
  std::optional<Id> member_id;
  std::string envelope_from;
  std::string recipient;
  std::string data;             // whole message, CRLF, not dot-stuffed
  int attempts = 0;             // attempts before this one
  std::int64_t enqueued_at = 0; // unix seconds (from created_at)
};

enum class DeliveryState { queued, delivered, failed };

/// What one attempt did to a copy: delivered, failed for good, or queued
/// again for next_attempt_at; with the relay's reply (code 0: local reason).
struct DeliveryRecord {
  Id id = 0;
  DeliveryState state = DeliveryState::queued;
  std::int64_t next_attempt_at = 0; // for queued
  int code = 0;
  std::string enhanced;
  std::string reply;
};

/// `lifeline queue show`.
struct QueueSummary {
  std::int64_t queued = 0, delivered = 0, failed = 0;
  std::string oldest_queued; // created_at of the oldest queued copy; empty if none
  struct Next {
    Id id = 0;
    std::string recipient;
    std::int64_t next_attempt_at = 0;
    int attempts = 0;
  };
  std::vector<Next> next_attempts; // the soonest few
  struct Error {
    std::string state; // queued (deferred) or failed
    int code = 0;
    std::string enhanced;
    std::string reply;
    std::int64_t count = 0;
  };
  std::vector<Error> errors; // grouped by reply, most frequent first
};

/// A member's bounce score as Mailman 3 keeps it (see list/bounce.hpp).
struct BounceScore {
  int score = 0;
  std::int64_t last_bounce_at = 0; // unix seconds; 0: never
  bool disabled_by_bounces = false;
  int warnings_sent = 0;
  std::int64_t last_warning_at = 0;
};

struct BouncingMember {
  MemberRecord member;
  BounceScore bounce;
};

/// A failed copy for the daily summary to a list's admins.
struct FailedCopy {
  Id id = 0;
  std::optional<Id> list_id;
  std::string recipient;
  int code = 0;
  std::string enhanced;
  std::string reply;
  std::string updated_at;
};

constexpr const char* to_string(DeliveryState state) {
  switch (state) {
  case DeliveryState::queued:
    return "queued";
  case DeliveryState::delivered:
    return "delivered";
  case DeliveryState::failed:
    return "failed";
  }
  return "queued";
}

} // namespace list
