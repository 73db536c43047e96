// list/crypto/gpg_keyring: the list key (create, export, interop with gpg and
// sq) and member keys (inspect each fixture, import) in real GnuPG homes.
#include "gpg_test_support.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_keyring.hpp>
#include <mutex>
#include <thread>

namespace {

using list::UidCheck;

struct CreatedKey {
  std::string fingerprint;
  double seconds = 0;
};

CreatedKey create(list::Keyring& keyring, list::KeyType type) {
  const auto start = std::chrono::steady_clock::now();
  auto made = keyring.create_list_key({"Crew", "crew@lists.example.org"}, type);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (!made) {
    throw std::runtime_error("create_list_key: " + made.error().message);
  }
  return {*made, took.count()};
}

// The list key as gpg lists it: three user IDs, the algorithms asked for,
// no expiry, secret halves present.
void check_list_key(const std::string& home, const std::string& fpr, const std::string& pub_algo,
                    const std::string& sub_algo, const std::string& bits) {
  const test::Run listed = test::gpg(home, "--with-colons --list-secret-keys " + fpr);
  BOOST_TEST_REQUIRE(listed.status == 0);
  const auto sec = test::colon_records(listed.output, "sec");
  const auto ssb = test::colon_records(listed.output, "ssb");
  BOOST_TEST_REQUIRE(sec.size() == 1u);
  BOOST_TEST_REQUIRE(ssb.size() == 1u);
  BOOST_TEST(sec[0][3] == pub_algo);
  BOOST_TEST(sec[0][2] == bits);
  BOOST_TEST(sec[0][6] == ""); // no expiry
  BOOST_TEST(sec[0][11].find('s') != std::string::npos);
  BOOST_TEST(sec[0][11].find('c') != std::string::npos);
  BOOST_TEST(ssb[0][3] == sub_algo);
  BOOST_TEST(ssb[0][6] == "");
  BOOST_TEST(ssb[0][11] == "e");
  std::vector<std::string> uids;
  for (const auto& uid : test::colon_records(listed.output, "uid")) {
    uids.push_back(uid[9]);
  }
  const std::vector<std::string> expected{
      "Crew <crew@lists.example.org>",
      "Crew (requests) <crew-request@lists.example.org>",
      "Crew (owners) <crew-owner@lists.example.org>",
  };
  std::sort(uids.begin(), uids.end());
  auto sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  BOOST_TEST(uids == sorted, boost::test_tools::per_element());
}

bool is_fingerprint(const std::string& fpr) {
  return fpr.size() == 40 && fpr.find_first_not_of("0123456789ABCDEF") == std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gpg_keyring)

BOOST_AUTO_TEST_CASE(creates_and_exports_an_ed25519_list_key) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const CreatedKey key = create(*keyring, list::KeyType::ed25519);
  BOOST_TEST_MESSAGE("ed25519 list key generated in " << key.seconds << " s");
  BOOST_TEST_REQUIRE(is_fingerprint(key.fingerprint), key.fingerprint);
  check_list_key(home, key.fingerprint, "22", "18", "255");

  const auto exported = keyring->export_public_key(key.fingerprint);
  BOOST_TEST_REQUIRE(exported.has_value(), (exported ? "" : exported.error().message));
  BOOST_TEST(exported->rfind("-----BEGIN PGP PUBLIC KEY BLOCK-----", 0) == 0);
  BOOST_TEST(exported->find("PRIVATE") == std::string::npos);

  // Importable by the gpg binary into a fresh home, with all three user IDs.
  const std::string file = dir / "list-key.asc";
  std::ofstream(file) << *exported;
  const std::string fresh = dir / "fresh";
  std::filesystem::create_directory(fresh);
  std::filesystem::permissions(fresh, std::filesystem::perms::owner_all);
  BOOST_TEST_REQUIRE(test::gpg(fresh, "--import " + file).status == 0);
  const test::Run listed = test::gpg(fresh, "--with-colons --list-keys " + key.fingerprint);
  BOOST_TEST(listed.status == 0);
  BOOST_TEST(test::colon_records(listed.output, "uid").size() == 3u);
  BOOST_TEST(test::colon_records(listed.output, "sec").empty());

  // And by Sequoia, which reads it as a certificate with an encryption subkey.
  if (test::run("command -v sq >/dev/null").status == 0) {
    const test::Run inspected = test::run("sq inspect '" + file + "' 2>&1");
    BOOST_TEST(inspected.status == 0, inspected.output);
    BOOST_TEST(inspected.output.find("OpenPGP Certificate") != std::string::npos, inspected.output);
    BOOST_TEST(inspected.output.find(key.fingerprint) != std::string::npos);
    BOOST_TEST(inspected.output.find("transport encryption") != std::string::npos);
    // Encrypting to it proves sq finds a usable encryption subkey.
    const test::Run sealed =
        test::run("echo hello | sq encrypt --recipient-cert '" + file + "' >/dev/null 2>&1");
    BOOST_TEST(sealed.status == 0);
  } else {
    BOOST_TEST_MESSAGE("sq not installed: Sequoia interop not checked");
  }
}

BOOST_AUTO_TEST_CASE(creates_an_rsa4096_list_key) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const CreatedKey key = create(*keyring, list::KeyType::rsa4096);
  BOOST_TEST_MESSAGE("rsa4096 list key generated in " << key.seconds << " s");
  check_list_key(home, key.fingerprint, "1", "1", "4096");
}

BOOST_AUTO_TEST_CASE(refuses_bad_identity_and_unknown_exports) {
  test::TempDir dir;
  auto keyring = list::open_gpg_keyring(dir / "gnupg");
  const auto bad_name = keyring->create_list_key(
      {"Crew <evil@example.org>", "crew@lists.example.org"}, list::KeyType::ed25519);
  BOOST_TEST_REQUIRE(!bad_name.has_value());
  BOOST_TEST(bad_name.error().message.find("list name") != std::string::npos);
  const auto bad_address =
      keyring->create_list_key({"Crew", "not an address"}, list::KeyType::ed25519);
  BOOST_TEST(!bad_address.has_value());
  const auto unknown = keyring->export_public_key("0123456789ABCDEF0123456789ABCDEF01234567");
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST(unknown.error().message.find("no key") != std::string::npos);
  const auto not_fpr = keyring->export_public_key("crew");
  BOOST_TEST_REQUIRE(!not_fpr.has_value());
  BOOST_TEST(not_fpr.error().message.find("not a key fingerprint") != std::string::npos);
}

// Each fixture through inspect_member_key: what is accepted, and the exact
// refusal otherwise. "{fpr}" stands for the fixture's fingerprint.
BOOST_AUTO_TEST_CASE(inspects_each_fixture) {
  struct Case {
    const char* file; // under tests/fixtures/keys; "" for `data`
    const char* data;
    const char* email;
    UidCheck uid_check;
    const char* refusal; // nullptr: accepted
  };
  const Case cases[] = {
      {"valid-cv25519.asc",        "",                      "alice@example.org", UidCheck::require_match,  nullptr                    },
      {"valid-cv25519.asc",        "",                      "ALICE@Example.ORG", UidCheck::require_match,  nullptr                    },
      {"valid-rsa3072.asc",        "",                      "bob@example.org",   UidCheck::require_match,  nullptr                    },
      {"expired.asc",              "",                      "carol@example.org", UidCheck::require_match,  "key {fpr} is expired"     },
      {"revoked.asc",              "",                      "dave@example.org",  UidCheck::require_match,  "key {fpr} is revoked"     },
      {"sign-only.asc",            "",                      "erin@example.org",  UidCheck::require_match,
       "key {fpr} has no usable encryption subkey"                                                                                    },
      {"expired-subkey.asc",       "",                      "frank@example.org", UidCheck::require_match,
       "key {fpr} has no usable encryption subkey"                                                                                    },
      {"two-keys.asc",             "",                      "alice@example.org", UidCheck::require_match,
       "contains 2 keys; give exactly one"                                                                                            },
      {"garbage.asc",              "",                      "alice@example.org", UidCheck::require_match,
       "not an OpenPGP public key"                                                                                                    },
      {"secret/valid-cv25519.asc", "",                      "alice@example.org", UidCheck::require_match,
       "not an OpenPGP public key"                                                                                                    },
      {"",                         "",                      "alice@example.org", UidCheck::require_match,  "not an OpenPGP public key"},
      {"",                         "hello, here is my key", "alice@example.org", UidCheck::require_match,
       "not an OpenPGP public key"                                                                                                    },
      {"uid-mismatch.asc",         "",                      "alice@example.org", UidCheck::require_match,
       "no user ID of key {fpr} matches alice@example.org (use --allow-uid-mismatch to override)"                                     },
      {"uid-mismatch.asc",         "",                      "alice@example.org", UidCheck::allow_mismatch, nullptr                    },
  };
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.file << " " << c.data << " as " << c.email) {
      const std::string file = c.file;
      const std::string data = file.empty() ? c.data : test::fixture(file);
      const auto fprs =
          file.empty() ? std::vector<std::string>{} : test::fixture_fingerprints(file);
      const auto result = keyring->inspect_member_key(data, c.email, c.uid_check);
      if (c.refusal == nullptr) {
        BOOST_TEST_REQUIRE(result.has_value(), (result ? "" : result.error().message));
        BOOST_TEST_REQUIRE(fprs.size() == 1u);
        BOOST_TEST(result->fingerprint == fprs[0]);
        BOOST_TEST(!result->expires.has_value());
        BOOST_TEST(result->user_ids.size() == 1u);
      } else {
        BOOST_TEST_REQUIRE(!result.has_value());
        std::string expected = c.refusal;
        if (const size_t at = expected.find("{fpr}"); at != std::string::npos) {
          BOOST_TEST_REQUIRE(fprs.size() == 1u);
          expected.replace(at, 5, fprs[0]);
        }
        BOOST_TEST(result.error().message.find(expected) != std::string::npos,
                   result.error().message);
        BOOST_TEST((result.error().severity == util::Severity::permanent));
        BOOST_TEST(result.error().message.find('\n') == std::string::npos);
      }
    }
  }
}

// Binary (unarmored) keys: a public key is read as well as its armored
// form; a secret key is refused even without the armor header that gives it
// away.
BOOST_AUTO_TEST_CASE(inspects_binary_keys) {
  test::TempDir dir;
  auto keyring = list::open_gpg_keyring(dir / "gnupg");
  for (const std::string name : {"valid-cv25519.asc", "secret/valid-cv25519.asc"}) {
    const std::string binary = dir / "key.gpg";
    BOOST_TEST_REQUIRE(test::run(fmt::format("gpg --dearmor <'{}' >'{}' 2>/dev/null",
                                             test::fixture_path(name), binary))
                           .status == 0);
    const auto result = keyring->inspect_member_key(test::read_file(binary), "alice@example.org",
                                                    UidCheck::require_match);
    if (name.rfind("secret/", 0) == 0) {
      BOOST_TEST_REQUIRE(!result.has_value());
      BOOST_TEST(result.error().message.find("not an OpenPGP public key") != std::string::npos,
                 result.error().message);
    } else {
      BOOST_TEST_REQUIRE(result.has_value(), (result ? "" : result.error().message));
      BOOST_TEST(result->fingerprint == test::fixture_fingerprints(name).at(0));
    }
  }
}

BOOST_AUTO_TEST_CASE(inspect_leaves_the_keyring_unchanged) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const CreatedKey list_key = create(*keyring, list::KeyType::ed25519);
  const size_t before = test::key_count(home);
  BOOST_TEST_REQUIRE(before == 1u);
  for (const char* file : {"valid-cv25519.asc", "valid-rsa3072.asc", "expired.asc", "revoked.asc",
                           "two-keys.asc", "uid-mismatch.asc"}) {
    [[maybe_unused]] auto result = keyring->inspect_member_key(
        test::fixture(file), "alice@example.org", UidCheck::allow_mismatch);
  }
  BOOST_TEST(test::key_count(home) == before);
  BOOST_TEST(test::gpg(home, "--list-keys alice@example.org").status != 0);
}

BOOST_AUTO_TEST_CASE(import_makes_the_key_usable_for_encryption) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const auto info = keyring->import_member_key(test::fixture("valid-cv25519.asc"),
                                               "alice@example.org", UidCheck::require_match);
  BOOST_TEST_REQUIRE(info.has_value(), (info ? "" : info.error().message));
  BOOST_TEST(info->fingerprint == test::fixture_fingerprints("valid-cv25519.asc").at(0));
  BOOST_TEST(test::key_count(home) == 1u);

  // Encrypt to the fingerprint in the list's home, decrypt as alice elsewhere.
  const std::string cipher = dir / "message.asc";
  const test::Run sealed = test::run(
      fmt::format("echo 'for alice only' | gpg --homedir '{}' --batch --no-tty --armor --encrypt "
                  "--recipient {} >'{}' 2>/dev/null",
                  home, info->fingerprint, cipher));
  BOOST_TEST_REQUIRE(sealed.status == 0);
  const std::string alice = dir / "alice";
  std::filesystem::create_directory(alice);
  std::filesystem::permissions(alice, std::filesystem::perms::owner_all);
  BOOST_TEST_REQUIRE(
      test::gpg(alice, "--import '" + test::fixture_path("secret/valid-cv25519.asc") + "'")
          .status == 0);
  const test::Run opened = test::gpg(alice, "--decrypt '" + cipher + "'");
  BOOST_TEST(opened.status == 0);
  BOOST_TEST(opened.output == "for alice only\n");
}

BOOST_AUTO_TEST_CASE(import_refuses_what_inspect_refuses) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const auto refused = keyring->import_member_key(test::fixture("uid-mismatch.asc"),
                                                  "alice@example.org", UidCheck::require_match);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().message.find("no user ID of key") != std::string::npos);
  BOOST_TEST(test::key_count(home) == 0u);

  const auto allowed = keyring->import_member_key(test::fixture("uid-mismatch.asc"),
                                                  "alice@example.org", UidCheck::allow_mismatch);
  BOOST_TEST_REQUIRE(allowed.has_value(), (allowed ? "" : allowed.error().message));
  BOOST_TEST(test::key_count(home) == 1u);
}

// One keyring object used from several threads at once: every call makes its
// own GPGME context, so concurrent inspections and imports all succeed.
BOOST_AUTO_TEST_CASE(calls_from_several_threads) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const std::pair<const char*, const char*> members[] = {
      {"valid-cv25519.asc", "alice@example.org"  },
      {"valid-rsa3072.asc", "bob@example.org"    },
      {"uid-mismatch.asc",  "mallory@example.org"},
      {"valid-cv25519.asc", "alice@example.org"  },
  };
  std::atomic<int> ok{0};
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (const auto& [file, email] : members) {
    threads.emplace_back([&, file = std::string(file), email = std::string(email)] {
      const std::string data = test::fixture(file);
      auto inspected = keyring->inspect_member_key(data, email, UidCheck::require_match);
      auto imported =
          inspected ? keyring->import_member_key(data, email, UidCheck::require_match) : inspected;
      if (imported) {
        ++ok;
      } else {
        std::lock_guard lock(errors_mutex);
        errors.push_back(imported.error().message);
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const std::string& error : errors) {
    BOOST_TEST_MESSAGE("failed: " << error);
  }
  BOOST_TEST(ok.load() == 4, "errors: " << (errors.empty() ? std::string() : errors.front()));
  BOOST_TEST(test::key_count(home) == 3u);
}

// A home too long for agent sockets still works (through its alias), and
// stop_gpg_agent reaches the agent it started.
BOOST_AUTO_TEST_CASE(long_home_path_works_and_its_agent_stops) {
  test::TempDir dir;
  const std::string home = dir / std::string(90, 'd') + "/gnupg";
  auto keyring = list::open_gpg_keyring(home);
  const CreatedKey key = create(*keyring, list::KeyType::ed25519);
  BOOST_TEST(is_fingerprint(key.fingerprint));
  const auto engine_home = list::prepare_gnupg_home(home);
  BOOST_TEST_REQUIRE(engine_home.has_value());
  // gpg-connect-agent exits 0 either way; a running agent answers its pid.
  const std::string ping =
      fmt::format("gpg-connect-agent --homedir '{}' --no-autostart 'GETINFO pid' /bye 2>/dev/null",
                  *engine_home);
  BOOST_TEST(test::run(ping).output.rfind("D ", 0) == 0); // the agent that made the key
  list::stop_gpg_agent(home);
  BOOST_TEST(test::run(ping).output.rfind("D ", 0) != 0);
}

BOOST_AUTO_TEST_SUITE_END()
