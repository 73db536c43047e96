// list::split_entity and list::split_multipart: byte-exact views.
#include <boost/test/unit_test.hpp>
#include <list/mime/entity.hpp>

BOOST_AUTO_TEST_SUITE(entity)

BOOST_AUTO_TEST_CASE(split_entity_keeps_fields_as_written) {
  const std::string raw = "Content-Type: multipart/mixed;\r\n\tboundary=x\r\nX-A:  b \r\n\r\nbody";
  const auto entity = list::split_entity(raw);
  BOOST_REQUIRE(entity.headers.size() == 2U);
  BOOST_TEST(entity.headers[0].name == "Content-Type");
  BOOST_TEST(entity.headers[0].field == "Content-Type: multipart/mixed;\r\n\tboundary=x\r\n");
  BOOST_TEST(entity.headers[1].field == "X-A:  b \r\n");
  BOOST_TEST(entity.body == "body");
  BOOST_TEST(list::find_header(entity, "content-type").has_value());
}

BOOST_AUTO_TEST_CASE(split_entity_cases) {
  const struct {
    const char* raw;
    std::size_t headers;
    const char* body;
  } cases[] = {
      {"A: 1\nB: 2\n\nx\n",           2, "x\n"                    },
      {"no header here\r\n\r\nx",     0, "no header here\r\n\r\nx"},
      {"A: 1\r\nnot a field\r\nrest", 1, "not a field\r\nrest"    },
      {"\r\nonly body",               0, "only body"              },
      {"A: 1",                        1, ""                       },
      {"",                            0, ""                       },
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.raw) {
      const auto entity = list::split_entity(c.raw);
      BOOST_TEST(entity.headers.size() == c.headers);
      BOOST_TEST(entity.body == c.body);
    }
  }
}

BOOST_AUTO_TEST_CASE(split_multipart_follows_rfc2046) {
  const std::string body = "preamble\r\n--b \r\nA: 1\r\n\r\none\r\n\r\n--b\r\ntwo\r\n--bx\r\n"
                           "--b--\r\nepilogue\r\n";
  const auto parts = list::split_multipart(body, "b");
  BOOST_REQUIRE(parts.has_value());
  BOOST_TEST(parts->preamble == "preamble");
  BOOST_REQUIRE(parts->parts.size() == 2U);
  BOOST_TEST(parts->parts[0] == "A: 1\r\n\r\none\r\n"); // the last CRLF belongs to the delimiter
  BOOST_TEST(parts->parts[1] == "two\r\n--bx");         // not a delimiter of "b"
  BOOST_TEST(parts->closed);
  BOOST_TEST(parts->epilogue == "epilogue\r\n");

  BOOST_TEST(!list::split_multipart("no delimiter\r\n", "b").has_value());
  const auto open = list::split_multipart("--b\r\nunterminated", "b");
  BOOST_REQUIRE(open.has_value());
  BOOST_TEST(!open->closed);
  BOOST_TEST(open->parts.at(0) == "unterminated");
}

BOOST_AUTO_TEST_CASE(to_crlf_cases) {
  BOOST_TEST(list::to_crlf("a\nb\r\nc\rd") == "a\r\nb\r\nc\r\nd");
  BOOST_TEST(list::to_crlf("a\r\n") == "a\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
