#include <algorithm>
#include <smtp/retry.hpp>

namespace smtp {

std::chrono::seconds backoff(const RetryPolicy& policy, std::int64_t failed_attempts) {
  std::int64_t interval = std::max<std::int64_t>(1, policy.initial.count());
  const std::int64_t maximum =
      std::max(interval, static_cast<std::int64_t>(policy.maximum.count()));
  for (std::int64_t i = 1; i < failed_attempts && interval < maximum; ++i) {
    interval *= 2;
  }
  return std::chrono::seconds(std::min(interval, maximum));
}

RetryDecision next_attempt(const RetryPolicy& policy, std::int64_t now, std::int64_t enqueued_at,
                           std::int64_t failed_attempts, double unit_random) {
  const auto base = static_cast<double>(backoff(policy, failed_attempts).count());
  const double spread = std::clamp(policy.jitter, 0.0, 1.0);
  const double factor = 1.0 + spread * (2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
  const auto interval = std::max<std::int64_t>(1, static_cast<std::int64_t>(base * factor));
  const std::int64_t deadline = enqueued_at + policy.lifetime.count();
  if (now >= deadline) {
    return GiveUp{};
  }
  // The last try happens at the deadline rather than never: a copy that
  // would wait past its lifetime gets one final attempt there.
  return RetryAt{std::min(now + interval, deadline)};
}

} // namespace smtp
