// list/crypto/key_check: the member key rules over plain facts, no GnuPG.
#include <boost/test/unit_test.hpp>
#include <list/crypto/key_check.hpp>

namespace {

constexpr std::int64_t k_now = 1'800'000'000;

list::KeyFacts good_key() {
  list::KeyFacts key;
  key.fingerprint = "0123456789ABCDEF0123456789ABCDEF01234567";
  key.subkeys = {list::SubkeyFacts{}, list::SubkeyFacts{.can_encrypt = true}};
  key.user_ids = {list::UserIdFacts{.id = "Alice <alice@example.org>"}};
  return key;
}

struct Case {
  const char* name;
  void (*change)(std::vector<list::KeyFacts>&);
  const char* email;
  list::UidCheck uid_check;
  const char* refusal; // substring of the message; nullptr: accepted
};

const Case k_cases[] = {
    {"good",                 [](auto&) {},                                                             "alice@example.org", list::UidCheck::require_match,  nullptr                            },
    {"address case",         [](auto&) {},                                                             "ALICE@Example.ORG", list::UidCheck::require_match,  nullptr                            },
    {"no keys",              [](auto& k) { k.clear(); },                                               "alice@example.org", list::UidCheck::require_match,
     "not an OpenPGP public key"                                                                                                                                                               },
    {"three keys",
     [](auto& k) {
       k.push_back(k[0]);
       k.push_back(k[0]);
     },                                                                                                "alice@example.org", list::UidCheck::require_match,  "contains 3 keys; give exactly one"},
    {"secret",               [](auto& k) { k[0].has_secret = true; },                                  "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "not an OpenPGP public key"        },
    {"revoked",              [](auto& k) { k[0].revoked = true; },                                     "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "is revoked"                       },
    {"expired flag",         [](auto& k) { k[0].expired = true; },                                     "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "is expired"                       },
    {"expired by time",      [](auto& k) { k[0].subkeys[0].expires = k_now - 1; },                     "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "is expired"                       },
    {"no encryption subkey", [](auto& k) { k[0].subkeys.pop_back(); },                                 "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "has no usable encryption subkey"  },
    {"subkey expired",       [](auto& k) { k[0].subkeys[1].expires = k_now; },                         "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "has no usable encryption subkey"  },
    {"subkey revoked",       [](auto& k) { k[0].subkeys[1].revoked = true; },                          "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "has no usable encryption subkey"  },
    {"uid mismatch",         [](auto&) {},                                                             "bob@example.org",   list::UidCheck::require_match,
     "no user ID of key 0123456789ABCDEF0123456789ABCDEF01234567 matches bob@example.org (use "
     "--allow-uid-mismatch to override)"                                                                                                                                                       },
    {"mismatch allowed",     [](auto&) {},                                                             "bob@example.org",   list::UidCheck::allow_mismatch, nullptr                            },
    {"revoked uid",          [](auto& k) { k[0].user_ids[0].revoked = true; },                         "alice@example.org",
     list::UidCheck::require_match,                                                                                                                         "no user ID"                       },
    {"bare address uid",     [](auto& k) { k[0].user_ids[0].id = " alice@example.org "; },
     "alice@example.org",                                                                                                   list::UidCheck::require_match,  nullptr                            },
    {"primary encrypts",     [](auto& k) { k[0].subkeys = {list::SubkeyFacts{.can_encrypt = true}}; },
     "alice@example.org",                                                                                                   list::UidCheck::require_match,  nullptr                            },
};

} // namespace

BOOST_AUTO_TEST_SUITE(key_check)

BOOST_AUTO_TEST_CASE(table_of_cases) {
  for (const Case& c : k_cases) {
    BOOST_TEST_CONTEXT(c.name) {
      std::vector<list::KeyFacts> keys{good_key()};
      c.change(keys);
      const auto result = list::check_member_key(keys, c.email, c.uid_check, k_now);
      if (c.refusal == nullptr) {
        BOOST_TEST_REQUIRE(result.has_value(), (result ? "" : result.error().message));
        BOOST_TEST(result->fingerprint == keys[0].fingerprint);
      } else {
        BOOST_TEST_REQUIRE(!result.has_value());
        BOOST_TEST(result.error().message.find(c.refusal) != std::string::npos,
                   result.error().message);
        BOOST_TEST((result.error().severity == util::Severity::permanent));
        BOOST_TEST(result.error().message.find('\n') == std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(expiry_is_that_of_the_encryption_subkey) {
  std::vector<list::KeyFacts> keys{good_key()};
  BOOST_TEST(
      !list::check_member_key(keys, "alice@example.org", list::UidCheck::require_match, k_now)
           ->expires.has_value());
  keys[0].subkeys[0].expires = k_now + 500; // the primary's expiry does not count
  keys[0].subkeys[1].expires = k_now + 100;
  // An older, expired encryption subkey is ignored; the usable one counts.
  keys[0].subkeys.push_back(list::SubkeyFacts{.can_encrypt = true, .expires = k_now - 100});
  const auto info =
      list::check_member_key(keys, "alice@example.org", list::UidCheck::require_match, k_now);
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->expires.value_or(0) == k_now + 100);
}

BOOST_AUTO_TEST_CASE(user_id_address) {
  const std::pair<const char*, const char*> cases[] = {
      {"Alice <alice@example.org>",        "alice@example.org"},
      {"Alice (work) <alice@example.org>", "alice@example.org"},
      {"alice@example.org",                "alice@example.org"},
      {"  alice@example.org\t",            "alice@example.org"},
      {"Weird <name> <alice@example.org>", "alice@example.org"},
      {"",                                 ""                 },
  };
  for (const auto& [uid, address] : cases) {
    BOOST_TEST(list::user_id_address(uid) == address, uid);
  }
}

BOOST_AUTO_TEST_SUITE_END()
