// list/crypto/rnp_sealer: the list::Sealer contract as a table run against
// both sealers (rnp and gpg): copies decrypted by the member with gpg and
// with Sequoia sq; packet layout (one recipient, SEIPD with MDC, no AEAD, no
// compression); refusals; two sealers in two threads. Then what only the rnp
// sealer does: its bounded key cache, key updates, secret key data.
#include "gpg_test_support.hpp"
#include "sealer_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_sealer.hpp>
#include <list/crypto/rnp_sealer.hpp>
#include <thread>

namespace {

using test::count;
using test::Members;
using test::signed_body;

constexpr std::string_view k_alice_fpr = "DDEB5A00D862912391964AFDD1156D5B182A649B";
constexpr std::string_view k_alice_encryption_keyid = "3E9FCE2F6312E63F";
constexpr std::string_view k_bob_fpr = "BCC9DD43E38FF80A31BFE1FE906C74BB35FD62AA";

using Factory = std::function<util::Result<std::unique_ptr<list::Sealer>>(const std::string&)>;

struct SealerKind {
  const char* name;
  Factory make; // takes a work dir, which the rnp sealer does not use
};

const SealerKind k_kinds[] = {
    {"rnp", [](const std::string&) { return list::make_rnp_sealer(); }       },
    {"gpg", [](const std::string& dir) { return list::make_gpg_sealer(dir); }},
};

std::unique_ptr<list::Sealer> make(const SealerKind& kind, const std::string& work_dir) {
  auto sealer = kind.make(work_dir);
  if (!sealer) {
    throw std::runtime_error(std::string(kind.name) + " sealer: " + sealer.error().message);
  }
  return std::move(*sealer);
}

std::unique_ptr<list::Sealer>
new_rnp_sealer(std::size_t cached_keys = list::k_rnp_sealer_cached_keys) {
  auto sealer = list::make_rnp_sealer(cached_keys);
  if (!sealer) {
    throw std::runtime_error("make_rnp_sealer: " + sealer.error().message);
  }
  return std::move(*sealer);
}

list::MemberKey alice() {
  return {std::string(k_alice_fpr), test::fixture("valid-cv25519.asc")};
}

list::MemberKey bob() {
  return {std::string(k_bob_fpr), test::fixture("valid-rsa3072.asc")};
}

std::string dearmored(const std::string& fixture) {
  const test::Run binary =
      test::run(fmt::format("gpg --dearmor < '{}' 2>/dev/null", test::fixture_path(fixture)));
  if (binary.status != 0 || binary.output.empty()) {
    throw std::runtime_error("gpg --dearmor failed for " + fixture);
  }
  return binary.output;
}

void check_refused(const util::Result<std::string>& sealed) {
  BOOST_TEST_REQUIRE(!sealed.has_value());
  BOOST_TEST((sealed.error().severity == util::Severity::permanent), sealed.error().message);
  BOOST_TEST_MESSAGE(sealed.error().message);
}

} // namespace

BOOST_AUTO_TEST_SUITE(sealer_contract)

BOOST_AUTO_TEST_CASE(member_decrypts_with_gpg_and_sq) {
  Members members;
  const std::string body = signed_body(10 * 1024);
  for (const SealerKind& kind : k_kinds) {
    BOOST_TEST_CONTEXT(kind.name) {
      test::TempDir dir;
      auto sealer = make(kind, dir / "seal");
      const auto sealed = sealer->seal(body, alice());
      BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
      BOOST_TEST(sealed->find("-----BEGIN PGP MESSAGE-----") == 0u);
      BOOST_TEST(sealed->find("-----END PGP MESSAGE-----") != std::string::npos);
      const std::string path = members.save(fmt::format("copy-{}.asc", kind.name), *sealed);

      BOOST_TEST(members.decrypt(path) == body);
      const test::Run sq =
          test::run(fmt::format("sq decrypt --recipient-key '{}' '{}' 2>/dev/null",
                                test::fixture_path("secret/valid-cv25519.asc"), path));
      BOOST_TEST(sq.status == 0);
      BOOST_TEST(sq.output == body);

      // Exactly one recipient, alice's encryption subkey; SEIPD (tag 18)
      // with MDC; and the literal data straight inside, uncompressed.
      const std::string packets = members.packets(path);
      BOOST_TEST_MESSAGE(packets);
      BOOST_TEST(count(packets, ":pubkey enc packet:") == 1u);
      BOOST_TEST(packets.find(fmt::format("keyid {}", k_alice_encryption_keyid)) !=
                 std::string::npos);
      BOOST_TEST(count(packets, ":encrypted data packet:") == 1u);
      BOOST_TEST(packets.find("tag=18") != std::string::npos);
      BOOST_TEST(packets.find("mdc_method: 2") != std::string::npos);
      BOOST_TEST(packets.find(":aead encrypted packet:") == std::string::npos);
      BOOST_TEST(packets.find(":compressed packet:") == std::string::npos);
      BOOST_TEST(packets.find(":literal data packet:") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(binary_and_rsa_keys) {
  Members members;
  const std::string body = signed_body(100);
  const std::string binary = dearmored("valid-rsa3072.asc");
  for (const SealerKind& kind : k_kinds) {
    BOOST_TEST_CONTEXT(kind.name) {
      test::TempDir dir;
      auto sealer = make(kind, dir / "seal");
      for (const list::MemberKey& key : {
               bob(), list::MemberKey{std::string(k_bob_fpr), binary}
      }) {
        const auto sealed = sealer->seal(body, key);
        BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
        const std::string path = members.save("bob.asc", *sealed);
        BOOST_TEST(members.decrypt(path) == body);
        BOOST_TEST(count(members.packets(path), ":pubkey enc packet:") == 1u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(refuses_keys_it_must_not_use) {
  const std::string body = signed_body(100);
  struct Case {
    const char* what;
    list::MemberKey key;
  };
  const auto fpr = [](const char* name) { return test::fixture_fingerprints(name).at(0); };
  const Case cases[] = {
      {"someone else's key data",    {std::string(k_bob_fpr), test::fixture("valid-cv25519.asc")}    },
      {"two keys in one file",       {std::string(k_alice_fpr), test::fixture("two-keys.asc")}       },
      {"two keys, the second bob's", {std::string(k_bob_fpr), test::fixture("two-keys.asc")}         },
      {"garbage",                    {std::string(k_alice_fpr), test::fixture("garbage.asc")}        },
      {"no key data",                {std::string(k_alice_fpr), ""}                                  },
      {"a path as fingerprint",      {"../../../../etc/passwd", test::fixture("valid-cv25519.asc")}  },
      {"a short fingerprint",        {"DDEB5A00D862912391964AFD", test::fixture("valid-cv25519.asc")}},
      {"non-hex fingerprint",
       {"XDEB5A00D862912391964AFDD1156D5B182A649B", test::fixture("valid-cv25519.asc")}              },
      {"expired",                    {fpr("expired.asc"), test::fixture("expired.asc")}              },
      {"revoked",                    {fpr("revoked.asc"), test::fixture("revoked.asc")}              },
      {"no encryption subkey",       {fpr("sign-only.asc"), test::fixture("sign-only.asc")}          },
      {"encryption subkey expired",
       {fpr("expired-subkey.asc"), test::fixture("expired-subkey.asc")}                              },
  };
  for (const SealerKind& kind : k_kinds) {
    test::TempDir dir;
    auto sealer = make(kind, dir / "seal");
    for (const Case& c : cases) {
      BOOST_TEST_CONTEXT(kind.name << ": " << c.what) {
        check_refused(sealer->seal(body, c.key));
        // Asked again, the same answer (the rnp sealer caches refusals).
        check_refused(sealer->seal(body, c.key));
      }
    }
    // Refusals leave the sealer working.
    BOOST_TEST_CONTEXT(kind.name) {
      BOOST_TEST(sealer->seal(body, alice()).has_value());
    }
  }
}

// One sealer per worker thread.
BOOST_AUTO_TEST_CASE(two_sealers_in_two_threads) {
  Members members;
  const std::string body = signed_body(10 * 1024);
  for (const SealerKind& kind : k_kinds) {
    BOOST_TEST_CONTEXT(kind.name) {
      test::TempDir dir;
      const std::string work = dir / "seal";
      constexpr int k_copies = 20;
      std::vector<std::string> copies[2];
      std::vector<std::string> errors[2];
      std::vector<std::thread> threads;
      for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
          auto sealer = kind.make(work);
          if (!sealer) {
            errors[t].push_back(sealer.error().message);
            return;
          }
          for (int i = 0; i < k_copies; ++i) {
            auto sealed = (*sealer)->seal(body, (i + t) % 2 == 0 ? alice() : bob());
            if (sealed) {
              copies[t].push_back(std::move(*sealed));
            } else {
              errors[t].push_back(sealed.error().message);
            }
          }
        });
      }
      for (std::thread& thread : threads) {
        thread.join();
      }
      for (int t = 0; t < 2; ++t) {
        BOOST_TEST(errors[t].empty(), (errors[t].empty() ? "" : errors[t].front()));
        BOOST_TEST_REQUIRE(copies[t].size() == static_cast<size_t>(k_copies));
        for (int i : {0, 1, k_copies - 1}) {
          const std::string path =
              members.save(fmt::format("{}-c{}-{}.asc", kind.name, t, i), copies[t][i]);
          BOOST_TEST(members.decrypt(path) == body);
        }
      }
      // The gpg sealers share one key-file cache: each key is written once.
      if (std::string_view(kind.name) == "gpg") {
        BOOST_TEST(test::files_in(work + "/keys").size() == 2u);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rnp_sealer)

// Room for one loaded key: alice's stays loaded, bob's is loaded for each of
// his copies alone; each copy still goes to its own member alone.
BOOST_AUTO_TEST_CASE(keys_beyond_the_cache_are_loaded_per_copy) {
  Members members;
  auto sealer = new_rnp_sealer(1);
  const std::string body = signed_body(1000);
  for (int i = 0; i < 6; ++i) {
    const bool to_alice = i % 2 == 0;
    const auto sealed = sealer->seal(body, to_alice ? alice() : bob());
    BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
    const std::string path = members.save(fmt::format("copy{}.asc", i), *sealed);
    BOOST_TEST(members.decrypt(path) == body);
    const std::string packets = members.packets(path);
    BOOST_TEST(count(packets, ":pubkey enc packet:") == 1u);
    BOOST_TEST((packets.find(fmt::format("keyid {}", k_alice_encryption_keyid)) !=
                std::string::npos) == to_alice);
  }
  // Refusals take cache slots too, and do not break it.
  check_refused(sealer->seal(
      body, {test::fixture_fingerprints("revoked.asc").at(0), test::fixture("revoked.asc")}));
  BOOST_TEST(sealer->seal(body, alice()).has_value());
}

// New key data for a member replaces the old in the cache: a refused blob
// (someone else's key) after a good one is refused, and the good one works
// again afterwards, armored or binary.
BOOST_AUTO_TEST_CASE(key_data_updates) {
  Members members;
  auto sealer = new_rnp_sealer();
  const std::string body = signed_body(1000);
  BOOST_TEST_REQUIRE(sealer->seal(body, alice()).has_value());
  check_refused(sealer->seal(body, {std::string(k_alice_fpr), test::fixture("two-keys.asc")}));
  const auto sealed =
      sealer->seal(body, {std::string(k_alice_fpr), dearmored("valid-cv25519.asc")});
  BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
  BOOST_TEST(members.decrypt(members.save("updated.asc", *sealed)) == body);
  // Lowercase fingerprints name the same key.
  std::string lower(k_alice_fpr);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  BOOST_TEST(sealer->seal(body, {lower, test::fixture("valid-cv25519.asc")}).has_value());
}

// The list must never hold a member's secret key.
BOOST_AUTO_TEST_CASE(refuses_secret_key_data) {
  auto sealer = new_rnp_sealer();
  check_refused(sealer->seal(
      signed_body(100), {std::string(k_alice_fpr), test::fixture("secret/valid-cv25519.asc")}));
}

// Line endings as gpg writes them, so the copy goes into MIME unchanged.
BOOST_AUTO_TEST_CASE(armor_like_gpg) {
  auto sealer = new_rnp_sealer();
  const auto sealed = sealer->seal(signed_body(100), alice());
  BOOST_TEST_REQUIRE(sealed.has_value());
  BOOST_TEST(sealed->find('\r') == std::string::npos);
  BOOST_TEST(sealed->back() == '\n');
}

BOOST_AUTO_TEST_SUITE_END()
