// list::loop_reason: this list's List-Id and X-Loop, Precedence, null sender,
// DSNs and auto-replies are never distributed; other lists' headers are fine.
#include <boost/test/unit_test.hpp>
#include <list/loop_check.hpp>

namespace {

struct Case {
  const char* name;
  const char* list_id;
  const char* x_loop;
  const char* precedence;
  const char* mail_from;
  list::Automated automated;
  const char* expected; // nullptr: may be distributed
};

// clang-format off
const Case k_cases[] = {
  {"ordinary post",        "",                        "",                       "",      "a@x.org", list::Automated::no,              nullptr},
  {"own List-Id",          "crew.lists.example.org",  "",                       "",      "a@x.org", list::Automated::no,              "own-list-id"},
  {"own List-Id, case",    "Crew.Lists.Example.org",  "",                       "",      "a@x.org", list::Automated::no,              "own-list-id"},
  {"other list's List-Id", "other.lists.example.org", "",                       "",      "a@x.org", list::Automated::no,              nullptr},
  {"own X-Loop",           "",                        "crew@lists.example.org", "",      "a@x.org", list::Automated::no,              "own-x-loop"},
  {"Precedence bulk",      "",                        "",                       "bulk",  "a@x.org", list::Automated::no,              "precedence"},
  {"Precedence junk",      "",                        "",                       "junk",  "a@x.org", list::Automated::no,              "precedence"},
  {"Precedence list",      "",                        "",                       "list",  "a@x.org", list::Automated::no,              "precedence"},
  {"null sender",          "",                        "",                       "",      "",        list::Automated::no,              "null-sender"},
  {"DSN",                  "",                        "",                       "",      "",        list::Automated::delivery_status, "dsn"},
  {"auto-reply",           "",                        "",                       "",      "a@x.org", list::Automated::auto_reply,      "auto-reply"},
};
// clang-format on

} // namespace

BOOST_AUTO_TEST_CASE(loop_table) {
  for (const Case& c : k_cases) {
    list::PostHeaders headers;
    headers.list_id = c.list_id;
    if (*c.x_loop != '\0') {
      headers.x_loop.push_back(c.x_loop);
    }
    headers.precedence = c.precedence;
    const auto reason = list::loop_reason(
        list::LoopInput{&headers, c.automated, c.mail_from, "crew@lists.example.org"});
    BOOST_TEST_CONTEXT(c.name) {
      if (c.expected == nullptr) {
        BOOST_TEST(!reason.has_value());
      } else {
        BOOST_REQUIRE(reason.has_value());
        BOOST_TEST(std::string(list::to_string(*reason)) == c.expected);
      }
    }
  }
}
