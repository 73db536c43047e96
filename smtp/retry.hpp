// When to try a copy again: exponential back-off with jitter, bounded by a
// maximum interval and the queue lifetime (Postfix's minimal/maximal_backoff_time
// and maximal_queue_lifetime). Pure: the caller passes the time and the jitter.
#pragma once

#include <chrono>
#include <cstdint>
#include <variant>

namespace smtp {

struct RetryPolicy {
  std::chrono::seconds initial{300};        // after the first failure
  std::chrono::seconds maximum{3600};       // the interval stops doubling here
  std::chrono::seconds lifetime{5 * 86400}; // after this since enqueueing, give up
  double jitter = 0.1; // +- this fraction, so copies that failed together spread out
};

struct RetryAt {
  std::int64_t when; // unix seconds
};
struct GiveUp {};
using RetryDecision = std::variant<RetryAt, GiveUp>;

/// The interval before attempt `failed_attempts + 1` (failed_attempts >= 1),
/// without jitter: initial, 2*initial, 4*initial, ... up to maximum.
std::chrono::seconds backoff(const RetryPolicy& policy, std::int64_t failed_attempts);

/// After a transient failure at `now` of a copy enqueued at `enqueued_at`
/// that has now failed `failed_attempts` times: the next attempt, or GiveUp
/// when that attempt would fall beyond the lifetime. `unit_random` in [0, 1)
/// picks the jitter.
RetryDecision next_attempt(const RetryPolicy& policy, std::int64_t now, std::int64_t enqueued_at,
                           std::int64_t failed_attempts, double unit_random);

} // namespace smtp
