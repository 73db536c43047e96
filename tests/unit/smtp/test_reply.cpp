#include <boost/test/unit_test.hpp>
#include <set>
#include <smtp/reply.hpp>
#include <string>
#include <vector>

using namespace smtp;

BOOST_AUTO_TEST_SUITE(reply)

BOOST_AUTO_TEST_CASE(enhanced_code_class_matches_reply_class) {
  for (const auto& row : k_replies) {
    BOOST_TEST_CONTEXT(row.name) {
      BOOST_TEST(row.code >= 200);
      BOOST_TEST(row.code < 600);
      if (row.enhanced.empty()) {
        // RFC 2034 3: only the greeting and HELO/EHLO replies go without;
        // RFC 3463 has no class 3, so neither does 354.
        bool exempt = row.reply == Reply::greeting || row.reply == Reply::helo_ok ||
                      row.reply == Reply::ehlo_ok || row.code / 100 == 3;
        BOOST_TEST(exempt);
        continue;
      }
      BOOST_TEST(row.enhanced.size() >= 5);
      BOOST_TEST(row.enhanced[0] - '0' == row.code / 100);
      BOOST_TEST(row.enhanced[1] == '.');
    }
  }
}

BOOST_AUTO_TEST_CASE(names_are_unique_and_every_421_closes) {
  std::set<std::string_view> names;
  for (const auto& row : k_replies) {
    BOOST_TEST(names.insert(row.name).second, row.name);
    BOOST_TEST(closes_connection(row.reply) == (row.code == 421));
  }
}

BOOST_AUTO_TEST_CASE(render_single_line) {
  BOOST_TEST(render(Reply::ok) == "250 2.0.0 Ok\r\n");
  BOOST_TEST(render(Reply::greeting, "mx.example.org") == "220 mx.example.org ESMTP Lifeline\r\n");
  BOOST_TEST(render(Reply::queued, "ABC123") == "250 2.0.0 Ok: queued as ABC123\r\n");
  BOOST_TEST(render(Reply::start_data) == "354 End data with <CR><LF>.<CR><LF>\r\n");
}

BOOST_AUTO_TEST_CASE(render_strips_control_bytes_from_arguments) {
  // A queue id or host name must never be able to forge a second reply line.
  BOOST_TEST(render(Reply::queued, "ID\r\n250 fake") == "250 2.0.0 Ok: queued as ID250 fake\r\n");
}

BOOST_AUTO_TEST_CASE(render_multiline_ehlo) {
  std::vector<std::string> more{"PIPELINING", "SMTPUTF8"};
  BOOST_TEST(render_multiline(Reply::ehlo_ok, "mx", more) ==
             "250-mx\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n");
  BOOST_TEST(render_multiline(Reply::help, "", {}) == render(Reply::help));
}

BOOST_AUTO_TEST_SUITE_END()
