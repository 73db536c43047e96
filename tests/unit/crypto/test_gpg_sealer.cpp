// list/crypto/gpg_sealer: copies sealed for one member, decrypted by that
// member with gpg and with Sequoia sq; packet layout (one recipient, SEIPD
// with MDC, no compression); key file cache; refusals. Two sealers at once: the shared contract in
// test_rnp_sealer.cpp.
#include "gpg_test_support.hpp"
#include "sealer_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_sealer.hpp>
#include <thread>

namespace {

using test::count;
using test::files_in;
using test::Members;
using test::signed_body;

constexpr std::string_view k_alice_fpr = "DDEB5A00D862912391964AFDD1156D5B182A649B";
constexpr std::string_view k_alice_encryption_keyid = "3E9FCE2F6312E63F";
constexpr std::string_view k_bob_fpr = "BCC9DD43E38FF80A31BFE1FE906C74BB35FD62AA";

std::unique_ptr<list::Sealer> sealer_in(const std::string& work_dir) {
  auto sealer = list::make_gpg_sealer(work_dir);
  if (!sealer) {
    throw std::runtime_error("make_gpg_sealer: " + sealer.error().message);
  }
  return std::move(*sealer);
}

list::MemberKey alice() {
  return {std::string(k_alice_fpr), test::fixture("valid-cv25519.asc")};
}

list::MemberKey bob() {
  return {std::string(k_bob_fpr), test::fixture("valid-rsa3072.asc")};
}

} // namespace

BOOST_AUTO_TEST_SUITE(gpg_sealer)

BOOST_AUTO_TEST_CASE(member_decrypts_with_gpg_and_sq) {
  test::TempDir dir;
  Members members;
  auto sealer = sealer_in(dir / "seal");
  const std::string body = signed_body(10 * 1024);
  const auto sealed = sealer->seal(body, alice());
  BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
  BOOST_TEST(sealed->find("-----BEGIN PGP MESSAGE-----") == 0u);
  const std::string path = members.save("copy.asc", *sealed);

  BOOST_TEST(members.decrypt(path) == body);
  const test::Run sq = test::run(fmt::format("sq decrypt --recipient-key '{}' '{}' 2>/dev/null",
                                             test::fixture_path("secret/valid-cv25519.asc"), path));
  BOOST_TEST(sq.status == 0);
  BOOST_TEST(sq.output == body);

  // Exactly one recipient, alice's encryption subkey; SEIPD (tag 18) with
  // MDC; and the literal data straight inside, uncompressed.
  const std::string packets = members.packets(path);
  BOOST_TEST_MESSAGE(packets);
  BOOST_TEST(count(packets, ":pubkey enc packet:") == 1u);
  BOOST_TEST(packets.find(fmt::format("keyid {}", k_alice_encryption_keyid)) != std::string::npos);
  BOOST_TEST(count(packets, ":encrypted data packet:") == 1u);
  BOOST_TEST(packets.find("tag=18") != std::string::npos);
  BOOST_TEST(packets.find("mdc_method: 2") != std::string::npos);
  BOOST_TEST(packets.find(":aead encrypted packet:") == std::string::npos);
  BOOST_TEST(packets.find(":compressed packet:") == std::string::npos);
  BOOST_TEST(packets.find(":literal data packet:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(binary_and_rsa_keys) {
  test::TempDir dir;
  Members members;
  auto sealer = sealer_in(dir / "seal");
  const test::Run binary = test::run(
      fmt::format("gpg --dearmor < '{}' 2>/dev/null", test::fixture_path("valid-rsa3072.asc")));
  BOOST_TEST_REQUIRE(binary.status == 0);
  const std::string body = signed_body(100);
  for (const list::MemberKey& key : {
           bob(), list::MemberKey{std::string(k_bob_fpr), binary.output}
  }) {
    const auto sealed = sealer->seal(body, key);
    BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
    const std::string path = members.save("bob.asc", *sealed);
    BOOST_TEST(members.decrypt(path) == body);
    BOOST_TEST(count(members.packets(path), ":pubkey enc packet:") == 1u);
  }
}

// gpg writes nothing in the sealer's home and starts no agent; each key file
// is written once and replaced when the member's key data changes.
BOOST_AUTO_TEST_CASE(home_stays_empty_and_key_files_are_cached) {
  test::TempDir dir;
  const std::string work = dir / "seal";
  auto sealer = sealer_in(work);
  const std::string body = signed_body(100);
  BOOST_TEST_REQUIRE(sealer->seal(body, alice()).has_value());
  // The first key check made the trustdb (gpg_context.cpp); from then on
  // sealing leaves the home exactly as it is.
  const auto home_files = files_in(work + "/gnupg");
  BOOST_TEST(home_files == (std::vector<std::string>{"gpg.conf", "trustdb.gpg"}),
             boost::test_tools::per_element());
  const auto trustdb_time = std::filesystem::last_write_time(work + "/gnupg/trustdb.gpg");
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST_REQUIRE(sealer->seal(body, alice()).has_value());
  }
  BOOST_TEST(files_in(work + "/gnupg") == home_files, boost::test_tools::per_element());
  BOOST_TEST((std::filesystem::last_write_time(work + "/gnupg/trustdb.gpg") == trustdb_time));
  BOOST_TEST(test::run(fmt::format("pgrep -f '[g]pg-agent --homedir {}'", work)).status != 0);
  const auto keys = files_in(work + "/keys");
  BOOST_TEST_REQUIRE(keys.size() == 1u);
  BOOST_TEST(keys[0].rfind(std::string(k_alice_fpr) + "-", 0) == 0u);
  BOOST_TEST(test::read_file(work + "/keys/" + keys[0]) == alice().key_data);

  // A new version of the key (here: the same key, dearmored).
  const test::Run binary = test::run(
      fmt::format("gpg --dearmor < '{}' 2>/dev/null", test::fixture_path("valid-cv25519.asc")));
  BOOST_TEST_REQUIRE(sealer->seal(body, {std::string(k_alice_fpr), binary.output}).has_value());
  const auto updated = files_in(work + "/keys");
  BOOST_TEST_REQUIRE(updated.size() == 1u);
  BOOST_TEST(updated[0] != keys[0]);

  // Another sealer on the same work dir finds the file in place.
  auto second = sealer_in(work);
  BOOST_TEST(second->seal(body, {std::string(k_alice_fpr), binary.output}).has_value());
  BOOST_TEST(files_in(work + "/keys").size() == 1u);
}

BOOST_AUTO_TEST_CASE(refuses_keys_it_must_not_use) {
  test::TempDir dir;
  auto sealer = sealer_in(dir / "seal");
  const std::string body = signed_body(100);
  struct Case {
    const char* what;
    list::MemberKey key;
  };
  const std::string expired_fpr = test::fixture_fingerprints("expired.asc").at(0);
  const std::string revoked_fpr = test::fixture_fingerprints("revoked.asc").at(0);
  const Case cases[] = {
      {"someone else's key data", {std::string(k_bob_fpr), test::fixture("valid-cv25519.asc")}  },
      {"two keys in one file",    {std::string(k_alice_fpr), test::fixture("two-keys.asc")}     },
      {"garbage",                 {std::string(k_alice_fpr), test::fixture("garbage.asc")}      },
      {"a path as fingerprint",   {"../../../../etc/passwd", test::fixture("valid-cv25519.asc")}},
      {"expired",                 {expired_fpr, test::fixture("expired.asc")}                   },
      {"revoked",                 {revoked_fpr, test::fixture("revoked.asc")}                   },
      {"no encryption subkey",
       {test::fixture_fingerprints("sign-only.asc").at(0), test::fixture("sign-only.asc")}      },
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      const auto sealed = sealer->seal(body, c.key);
      BOOST_TEST_REQUIRE(!sealed.has_value());
      BOOST_TEST((sealed.error().severity == util::Severity::permanent), sealed.error().message);
      BOOST_TEST_MESSAGE(c.what << ": " << sealed.error().message);
    }
  }
  // Only keys that are exactly what they claim were cached.
  for (const std::string& name : files_in(dir / "seal/keys")) {
    BOOST_TEST((name.rfind(expired_fpr, 0) == 0 || name.rfind(revoked_fpr, 0) == 0 ||
                name.rfind(test::fixture_fingerprints("sign-only.asc").at(0), 0) == 0),
               name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
