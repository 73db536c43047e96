// The retry schedule: doubling from `initial` to `maximum`, jitter within
// bounds, and the lifetime, over a simulated five days.
#include <boost/test/unit_test.hpp>
#include <smtp/retry.hpp>

using namespace smtp;

BOOST_AUTO_TEST_SUITE(retry)

BOOST_AUTO_TEST_CASE(backoff_doubles_to_the_maximum) {
  RetryPolicy policy; // 5 min doubling to 1 h
  const std::int64_t expected[] = {300, 600, 1200, 2400, 3600, 3600, 3600};
  for (std::int64_t attempt = 1; attempt <= 7; ++attempt) {
    BOOST_TEST(backoff(policy, attempt).count() == expected[attempt - 1], "attempt " << attempt);
  }
  BOOST_TEST(backoff(policy, 1000000).count() == 3600);
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_its_fraction) {
  RetryPolicy policy;
  for (double r : {0.0, 0.25, 0.5, 0.999}) {
    auto decision = next_attempt(policy, 1000, 0, 1, r);
    auto when = std::get<RetryAt>(decision).when;
    BOOST_TEST(when >= 1000 + 270);
    BOOST_TEST(when <= 1000 + 330);
  }
  BOOST_TEST(std::get<RetryAt>(next_attempt(policy, 1000, 0, 1, 0.5)).when == 1300);
}

BOOST_AUTO_TEST_CASE(five_days_then_give_up) {
  RetryPolicy policy;
  policy.jitter = 0;
  const std::int64_t start = 1700000000;
  std::int64_t now = start;
  std::int64_t attempts = 0;
  // Every attempt fails transiently; a bounded loop over simulated time.
  for (int guard = 0; guard < 1000; ++guard) {
    ++attempts;
    auto decision = next_attempt(policy, now, start, attempts, 0.5);
    if (std::holds_alternative<GiveUp>(decision)) {
      break;
    }
    now = std::get<RetryAt>(decision).when;
  }
  BOOST_TEST(now == start + 5 * 86400); // the last try at the deadline exactly
  // Failures at 0, 300, 900, 2100 s, then hourly from 4500 s to 429300 s
  // (119), then the final one at the deadline: 124 attempts.
  BOOST_TEST(attempts == 124);
}

BOOST_AUTO_TEST_SUITE_END()
