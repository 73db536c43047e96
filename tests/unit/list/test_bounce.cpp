// Bounces: DSN fixtures from real MTAs (tests/fixtures/dsn) and Mailman-3
// scoring, disabling, warnings and removal over simulated weeks.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <list/bounce.hpp>
#include <sstream>

using namespace list;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(LIFELINE_FIXTURES_DIR) + "/dsn/" + name, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "fixture " << name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

constexpr std::int64_t k_day = 86400;
constexpr std::int64_t k_start = 1700000000 / k_day * k_day + 3600; // 01:00 UTC

} // namespace

BOOST_AUTO_TEST_SUITE(bounce)

BOOST_AUTO_TEST_CASE(dsn_fixtures) {
  struct Case {
    const char* file;
    const char* recipient;
    const char* action;
    const char* status;
    bool hard;
  };
  // clang-format off
  const Case cases[] = {
    {"postfix.eml",   "dave@example.net",   "failed",  "5.1.1",  true},
    {"exim.eml",      "erin@exim.test",     "failed",  "5.0.0",  true},
    {"gmail.eml",     "frank@gmail.test",   "failed",  "5.1.1",  true},
    {"microsoft.eml", "grace@outlook.test", "failed",  "5.1.10", true},
    {"delayed.eml",   "heidi@example.net",  "delayed", "4.4.1",  false},
  };
  // clang-format on
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.file) {
      auto dsn = parse_dsn(fixture(c.file));
      BOOST_REQUIRE(dsn);
      BOOST_REQUIRE_EQUAL(dsn->size(), 1U);
      BOOST_TEST(dsn->front().final_recipient == c.recipient);
      BOOST_TEST(dsn->front().action == c.action);
      BOOST_TEST(dsn->front().status == c.status);
      BOOST_TEST(is_hard_bounce(dsn->front()) == c.hard);
    }
  }
  BOOST_TEST(parse_dsn(fixture("gmail.eml"))->front().diagnostic.find("550 5.1.1 unnecessary") !=
             std::string::npos); // folded lines joined
  BOOST_TEST(!parse_dsn(fixture("unparseable.eml")));
  BOOST_TEST(!parse_dsn("Subject: hi\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
  BOOST_TEST(!parse_dsn(""));
}

BOOST_AUTO_TEST_CASE(at_most_one_point_a_day_and_reset_when_stale) {
  BouncePolicy policy;
  BounceScore score;
  auto step = add_bounce(policy, score, k_start);
  BOOST_TEST(step.counted);
  BOOST_TEST(step.score.score == 1);
  step = add_bounce(policy, step.score, k_start + 3600); // same day: no point
  BOOST_TEST(!step.counted);
  BOOST_TEST(step.score.score == 1);
  step = add_bounce(policy, step.score, k_start + k_day);
  BOOST_TEST(step.score.score == 2);
  step = add_bounce(policy, step.score, k_start + k_day + 8 * k_day); // > 7 days later
  BOOST_TEST(step.score.score == 1);
}

BOOST_AUTO_TEST_CASE(disable_warn_three_times_a_week_apart_then_remove) {
  BouncePolicy policy; // 5, 7 days, 3 warnings, 7 days
  BounceScore score;
  std::vector<std::string> events;
  // Ten simulated weeks, hourly, with a bounce every day at noon for the first week.
  for (std::int64_t t = k_start; t < k_start + 70 * k_day; t += 3600) {
    const auto day = (t - k_start) / k_day;
    if (day < 7 && (t % k_day) / 3600 == 12) {
      auto step = add_bounce(policy, score, t);
      score = step.score;
      if (step.disable) {
        events.push_back("disable day " + std::to_string(day));
      }
      if (step.warn) {
        events.push_back("warn " + std::to_string(score.warnings_sent) + " day " +
                         std::to_string(day));
      }
    }
    auto step = bounce_tick(policy, score, t);
    score = step.score;
    if (step.warn) {
      events.push_back("warn " + std::to_string(score.warnings_sent) + " day " +
                       std::to_string(day));
    }
    if (step.remove) {
      events.push_back("remove day " + std::to_string(day));
      break;
    }
  }
  const std::vector<std::string> expected{"disable day 4", "warn 1 day 4", "warn 2 day 11",
                                          "warn 3 day 18", "remove day 25"};
  BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_disabled_member_is_not_counted_again) {
  BouncePolicy policy;
  policy.threshold = 1;
  auto step = add_bounce(policy, {}, k_start);
  BOOST_TEST(step.disable);
  auto again = add_bounce(policy, step.score, k_start + k_day);
  BOOST_TEST(!again.counted);
  BOOST_TEST(!again.disable);
}

BOOST_AUTO_TEST_SUITE_END()
