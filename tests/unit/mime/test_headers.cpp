// Header policy: client headers, content filter, sanitizing and encoding.
#include "mime_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <glib.h>
#include <list/mime/headers.hpp>

BOOST_AUTO_TEST_SUITE(headers)

BOOST_AUTO_TEST_CASE(client_headers_never_travel) {
  const struct {
    const char* name;
    bool client;
    bool kept;
  } cases[] = {
      {"Received",                          true,  false},
      {"user-agent",                        true,  false},
      {"X-Mailer",                          true,  false},
      {"X-Originating-IP",                  true,  false},
      {"DKIM-Signature",                    true,  false},
      {"Return-Receipt-To",                 true,  false},
      {"Disposition-Notification-To",       true,  false},
      {"X-MS-Exchange-Organization-AuthAs", true,  false},
      {"Subject",                           false, false},
      {"MIME-Version",                      false, false},
      {"Content-Type",                      false, true },
      {"content-transfer-encoding",         false, true },
      {"Content-Disposition",               false, true },
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(list::is_client_header(c.name) == c.client);
      BOOST_TEST(list::keeps_in_content(c.name) == c.kept);
    }
  }
  for (auto name : list::client_header_names()) {
    BOOST_TEST(list::is_client_header(name));
  }
}

BOOST_AUTO_TEST_CASE(sanitize_removes_line_breaks_and_controls) {
  BOOST_TEST(list::sanitize_header_text("Subject\r\nBcc: x@example.org") ==
             "Subject Bcc: x@example.org");
  BOOST_TEST(list::sanitize_header_text(std::string("a\0b\x7f\tc  d ", 10)) == "a b c d");
  const std::string invalid = list::sanitize_header_text("caf\xe9");
  BOOST_TEST(g_utf8_validate(invalid.c_str(), -1, nullptr));
}

BOOST_AUTO_TEST_CASE(unstructured_fields_encode_and_fold) {
  BOOST_TEST(list::unstructured_field("Subject", "Hello") == "Subject: Hello\r\n");
  const std::string encoded = list::unstructured_field("Subject", "Gr\u00fc\u00dfe");
  BOOST_TEST(encoded.starts_with("Subject: =?"));
  BOOST_TEST(list::decode_header_text(encoded.substr(9)) == "Gr\u00fc\u00dfe");
  const std::string long_field =
      list::unstructured_field("Subject", std::string(300, 'w') + " " + std::string(50, 'v'));
  BOOST_TEST(long_field.find("\r\n ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(structured_fields_refuse_unsafe_values) {
  const list::Mailbox bad{"a@example.org\r\nBcc: x@example.org", ""};
  BOOST_TEST(!list::mailbox_field("To", std::span(&bad, 1)).has_value());
  const std::vector<std::string> ids{"id@example.org>\r\nBcc: x"};
  BOOST_TEST(!list::message_id_field("Message-ID", ids).has_value());
  const std::vector<std::string> uris{"mailto:a@example.org>, <http://evil"};
  BOOST_TEST(!list::uri_field("List-Help", uris).has_value());
  const std::vector<std::string> good{"mailto:crew-help@lists.example.org",
                                      "https://lists.example.org/crew/help"};
  BOOST_TEST(test::value_of(list::uri_field("List-Help", good)) ==
             "List-Help: <mailto:crew-help@lists.example.org>,\r\n"
             " <https://lists.example.org/crew/help>\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
