// list/address: which addresses are valid, and how they are normalised
// (domain lowercased, local part kept as written).
#include <boost/test/unit_test.hpp>
#include <list/address.hpp>
#include <string>

namespace {

struct Valid {
  std::string input;
  std::string normalised;
};

const Valid k_valid[] = {
    {"crew@lists.example.org",          "crew@lists.example.org"         },
    {"Crew@Lists.Example.ORG",          "Crew@lists.example.org"         },
    {"first.last@example.org",          "first.last@example.org"         },
    {"user+tag@example.org",            "user+tag@example.org"           },
    {"crew-bounces+abc123@example.org", "crew-bounces+abc123@example.org"},
    {"!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org"},
    {"\"john doe\"@example.org",        "\"john doe\"@example.org"       },
    {"\"a@b\"@Example.org",             "\"a@b\"@example.org"            },
    {"\"quote\\\"inside\"@example.org", "\"quote\\\"inside\"@example.org"},
    {"\"\"@example.org",                "\"\"@example.org"               },
    {"a@localhost",                     "a@localhost"                    },
    {"a@xn--bcher-kva.example",         "a@xn--bcher-kva.example"        },
    {"jos\xc3\xa9@exampl\xc3\xa9.org",  "jos\xc3\xa9@exampl\xc3\xa9.org" },
    {"a@a-b.c-d.example",               "a@a-b.c-d.example"              },
};

const std::string k_invalid[] = {
    "",
    "crew",
    "@example.org",
    "crew@",
    "crew@@example.org",
    "crew@example..org",
    "crew@.example.org",
    "crew@example.org.",
    "crew@-example.org",
    "crew@example-.org",
    "crew@exa_mple.org",
    "crew@exa mple.org",
    "crew@[192.0.2.1]",
    ".crew@example.org",
    "crew.@example.org",
    "cr..ew@example.org",
    "cr ew@example.org",
    " crew@example.org",
    "crew@example.org ",
    "crew@example.org\r",
    "cr\new@example.org",
    "cr(ew)@example.org",
    "cr,ew@example.org",
    "cr\"ew@example.org",
    "\"unterminated@example.org",
    "\"bad\\\"@example.org",
    "\"ctl\x01\"@example.org",
    "<crew@example.org>",
    std::string(65, 'l') + "@example.org",
    "a@" + std::string(64, 'd') + ".org",
    "a@" + std::string(250, 'd'),
    std::string("nul\0x@example.org", 17),
};

} // namespace

BOOST_AUTO_TEST_SUITE(address)

BOOST_AUTO_TEST_CASE(valid_addresses_are_normalised) {
  for (const Valid& row : k_valid) {
    auto normalised = list::normalise_address(row.input);
    BOOST_TEST_CONTEXT("input: " << row.input) {
      BOOST_REQUIRE_MESSAGE(normalised, normalised.error().message);
      BOOST_TEST(*normalised == row.normalised);
    }
  }
}

BOOST_AUTO_TEST_CASE(normalising_is_idempotent) {
  for (const Valid& row : k_valid) {
    auto again = list::normalise_address(row.normalised);
    BOOST_TEST_CONTEXT("input: " << row.normalised) {
      BOOST_REQUIRE(again);
      BOOST_TEST(*again == row.normalised);
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_addresses_are_refused_permanently_with_a_reason) {
  for (const std::string& input : k_invalid) {
    auto normalised = list::normalise_address(input);
    BOOST_TEST_CONTEXT("input: " << input) {
      BOOST_TEST(!normalised.has_value());
      if (!normalised) {
        BOOST_TEST((normalised.error().severity == util::Severity::permanent));
        BOOST_TEST(!normalised.error().message.empty());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(length_limits_of_rfc_5321) {
  // 254 octets is the most a path of 256 (with its brackets) can hold.
  const std::string domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                             std::string(63, 'c') + ".org"; // 195 octets
  const std::string at_limit = std::string(254 - 1 - domain.size(), 'l') + "@" + domain;
  BOOST_REQUIRE(at_limit.size() == 254u);
  BOOST_TEST(list::normalise_address(at_limit).has_value());
  const std::string over = "l" + at_limit;
  BOOST_TEST(!list::normalise_address(over).has_value());
  // Local part at most 64 octets (4.5.3.1.1), a label at most 63 (RFC 1035).
  BOOST_TEST(list::normalise_address(std::string(64, 'l') + "@example.org").has_value());
  BOOST_TEST(list::normalise_address("a@" + std::string(63, 'd') + ".org").has_value());
}

BOOST_AUTO_TEST_CASE(same_address_ignores_case_of_the_whole_address) {
  BOOST_TEST(list::same_address("Alice@Example.org", "alice@example.ORG"));
  BOOST_TEST(!list::same_address("alice@example.org", "alice2@example.org"));
  BOOST_TEST(!list::same_address("alice@example.org", "alice@example.org.evil"));
}

BOOST_AUTO_TEST_CASE(parts_of_an_address) {
  BOOST_TEST(list::local_part("crew-request@lists.example.org") == "crew-request");
  BOOST_TEST(list::domain_part("crew-request@lists.example.org") == "lists.example.org");
  BOOST_TEST(list::local_part("\"a@b\"@example.org") == "\"a@b\"");
  BOOST_TEST(list::domain_part("\"a@b\"@example.org") == "example.org");
  BOOST_TEST(list::local_part("nodomain") == "nodomain");
  BOOST_TEST(list::domain_part("nodomain").empty());
}

BOOST_AUTO_TEST_SUITE_END()
