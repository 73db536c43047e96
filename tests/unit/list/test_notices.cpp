// The list's own texts: the daily failed-delivery summary and the bounce
// notices (what they name, what they leave out).
#include <boost/test/unit_test.hpp>
#include <list/notices.hpp>

using namespace list;

BOOST_AUTO_TEST_SUITE(notices)

BOOST_AUTO_TEST_CASE(failed_summary_names_count_recipients_and_replies) {
  std::vector<FailedCopy> failures{
      {1, 7, "bob@example.org",   550, "5.1.1", "User unknown",        "2024-05-01T09:00:00Z"},
      {2, 7, "carol@example.org", 0,   "",      "queue lifetime over", "2024-05-01T10:00:00Z"},
  };
  const std::string text = failed_deliveries_text("crew@lists.test", failures);
  BOOST_TEST(text.find("2 copies of mail from crew@lists.test") != std::string::npos);
  BOOST_TEST(text.find("bob@example.org  550 5.1.1 User unknown") != std::string::npos);
  BOOST_TEST(text.find("carol@example.org  queue lifetime over") != std::string::npos);
  BOOST_TEST(text.find("earlier") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_summary_keeps_the_latest_lines) {
  std::vector<FailedCopy> failures;
  for (int i = 0; i < 5; ++i) {
    failures.push_back(FailedCopy{i, 7, "m" + std::to_string(i) + "@x.test", 550, "5.1.1", "no",
                                  "2024-05-01T09:00:0" + std::to_string(i) + "Z"});
  }
  const std::string text = failed_deliveries_text("crew@lists.test", failures, 2);
  BOOST_TEST(text.find("5 copies") != std::string::npos);
  BOOST_TEST(text.find("m4@x.test") != std::string::npos);
  BOOST_TEST(text.find("m3@x.test") != std::string::npos);
  BOOST_TEST(text.find("m2@x.test") == std::string::npos);
  BOOST_TEST(text.find("... and 3 earlier") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bounce_texts) {
  BOOST_TEST(bounce_warning_text("crew@x.test", 2, 3).find("warning 2 of 3") != std::string::npos);
  BOOST_TEST(
      bounce_admin_text("crew@x.test", "bob@y.test", "removed").find("bob@y.test was removed") !=
      std::string::npos);
  BOOST_TEST(bounce_admin_text("crew@x.test", "bob@y.test", "disabled").find("is disabled") !=
             std::string::npos);
  BOOST_TEST(bounce_forward_note("crew@x.test").find("crew-bounces@x.test") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(postmaster_note_names_the_address_and_sender) {
  const std::string note = postmaster_note("lists.example.org", "ops@remote.test");
  BOOST_TEST(note.find("postmaster@lists.example.org from <ops@remote.test>") != std::string::npos);
  BOOST_TEST(note.find("every list\nat lists.example.org") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
