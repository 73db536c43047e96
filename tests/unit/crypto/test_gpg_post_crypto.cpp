// list/crypto/gpg_post_crypto: opening the post fixtures of tests/fixtures/mail
// (read by list/mime exactly as the pipeline reads them), signature verdicts,
// signing with the list key and encrypting notices, checked with the gpg binary.
#include "gpg_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_post_crypto.hpp>
#include <list/mime/reader.hpp>

namespace {

using Status = list::SignatureCheck::Status;

constexpr std::string_view k_list_fpr = "1EAF757F8C0CA1D9D4C527351A1C18FE136895A1";
constexpr std::string_view k_alice_fpr = "DDEB5A00D862912391964AFDD1156D5B182A649B";
constexpr std::string_view k_bob_fpr = "BCC9DD43E38FF80A31BFE1FE906C74BB35FD62AA";
constexpr std::string_view k_mallory_fpr = "F0F77D7FDCF9F1D2453A0278F582682A5B0E9EDD";

// A list home as `member add` leaves it: the list key's secret and the public
// keys of alice and bob (mallory is no member).
struct ListHome {
  test::TempDir dir;
  std::string home = dir / "gnupg";
  std::string engine_home;

  ListHome() {
    auto prepared = list::prepare_gnupg_home(home);
    if (!prepared) {
      throw std::runtime_error(prepared.error().message);
    }
    engine_home = *prepared;
    test::import_keys(engine_home,
                      {test::mail_fixture_path("list-key.secret.asc"),
                       test::fixture_path("valid-cv25519.asc"),
                       test::fixture_path("valid-rsa3072.asc"), test::fixture_path("expired.asc")});
  }
};

list::ParsedPost parse(const std::string& name) {
  auto post = list::parse_post(test::mail_fixture(name));
  if (!post) {
    throw std::runtime_error(name + ": " + post.error().message);
  }
  return *post;
}

std::string message_of(const util::Result<list::Decrypted>& result) {
  return result ? std::string() : result.error().message;
}

// A scratch home with one secret key, for signing as someone: gpg itself.
struct Signer {
  test::TempDir dir;
  std::string home = dir / "gnupg";

  explicit Signer(const std::vector<std::string>& secret_paths) {
    if (!list::prepare_gnupg_home(home)) {
      throw std::runtime_error("cannot prepare " + home);
    }
    test::import_keys(home, secret_paths);
  }

  // A detached armored signature by `fpr` over `data` (extra: gpg options).
  std::string sign(const std::string& fpr, std::string_view data, const std::string& extra = "") {
    test::write_file(dir / "data", data);
    const test::Run signed_run =
        test::gpg(home, fmt::format("{} --armor -u {} -o '{}' --detach-sign '{}'", extra, fpr,
                                    dir / "data.sig", dir / "data"));
    if (signed_run.status != 0) {
      throw std::runtime_error("gpg --detach-sign failed for " + fpr);
    }
    return test::read_file(dir / "data.sig");
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(gpg_post_crypto)

struct EncryptedCase {
  const char* fixture;
  Status signature;     // inside the encryption
  const char* contains; // in the plaintext
};

BOOST_AUTO_TEST_CASE(decrypts_each_encrypted_fixture) {
  ListHome list_home;
  auto crypto = list::open_gpg_post_crypto(list_home.home, std::string(k_list_fpr));
  const EncryptedCase cases[] = {
      {"pgp-mime-encrypted-signed.eml", Status::good, "Donnerstag"             },
      {"signed-then-encrypted.eml",     Status::none, "Keys for the new server"},
      {"inline-encrypted.eml",          Status::good, "Inline encrypted body." },
      {"with-attachment.eml",           Status::good, "Flyer draft attached"   },
  };
  for (const EncryptedCase& c : cases) {
    BOOST_TEST_CONTEXT(c.fixture) {
      const list::ParsedPost post = parse(c.fixture);
      BOOST_TEST_REQUIRE(!post.ciphertext.empty());
      const auto opened = crypto->decrypt(post.ciphertext);
      BOOST_TEST_REQUIRE(opened.has_value(), message_of(opened));
      BOOST_TEST(opened->plaintext.find(c.contains) != std::string::npos);
      BOOST_TEST(static_cast<int>(opened->signature.status) == static_cast<int>(c.signature));
      if (c.signature == Status::good) {
        BOOST_TEST(opened->signature.fingerprint == k_alice_fpr);
      }
    }
  }
}

// Mutt: the signature is on the inner multipart/signed, verified over the
// bytes list/mime hands over.
BOOST_AUTO_TEST_CASE(verifies_the_inner_signature_of_signed_then_encrypted) {
  ListHome list_home;
  auto crypto = list::open_gpg_post_crypto(list_home.home);
  const auto opened = crypto->decrypt(parse("signed-then-encrypted.eml").ciphertext);
  BOOST_TEST_REQUIRE(opened.has_value(), message_of(opened));
  const auto inner = list::read_decrypted(opened->plaintext);
  BOOST_TEST_REQUIRE(inner.has_value());
  BOOST_TEST_REQUIRE(inner->signature.has_value());
  const auto checked =
      crypto->verify_detached(inner->signature->signed_bytes, inner->signature->signature);
  BOOST_TEST_REQUIRE(checked.has_value());
  BOOST_TEST((checked->status == Status::good));
  BOOST_TEST(checked->fingerprint == k_alice_fpr);
}

BOOST_AUTO_TEST_CASE(refuses_posts_it_cannot_open) {
  ListHome list_home;
  auto crypto = list::open_gpg_post_crypto(list_home.home);
  const auto other = crypto->decrypt(parse("encrypted-to-other-key.eml").ciphertext);
  BOOST_TEST_REQUIRE(!other.has_value());
  BOOST_TEST((other.error().severity == util::Severity::permanent));
  BOOST_TEST(other.error().message == "not encrypted to the list key");

  for (const std::string& garbage :
       {parse("garbage-armor.eml").ciphertext, std::string("hello"), std::string()}) {
    const auto opened = crypto->decrypt(garbage);
    BOOST_TEST_REQUIRE(!opened.has_value());
    BOOST_TEST((opened.error().severity == util::Severity::permanent), opened.error().message);
  }
}

BOOST_AUTO_TEST_CASE(signature_verdicts) {
  ListHome list_home;
  auto crypto = list::open_gpg_post_crypto(list_home.home);

  const list::ParsedPost signed_post = parse("pgp-mime-signed.eml");
  BOOST_TEST_REQUIRE(signed_post.signature.has_value());
  const list::DetachedSignature& sig = *signed_post.signature;
  const auto good = crypto->verify_detached(sig.signed_bytes, sig.signature);
  BOOST_TEST_REQUIRE(good.has_value());
  BOOST_TEST((good->status == Status::good));
  BOOST_TEST(good->fingerprint == k_alice_fpr);

  // One byte changed (the trailing "=20" of the quoted-printable part).
  std::string tampered = sig.signed_bytes;
  const size_t pos = tampered.rfind("=20");
  BOOST_TEST_REQUIRE(pos != std::string::npos);
  tampered[pos + 2] = '1';
  const auto bad = crypto->verify_detached(tampered, sig.signature);
  BOOST_TEST_REQUIRE(bad.has_value());
  BOOST_TEST((bad->status == Status::bad));

  // CRLF -> LF is a change too: no canonicalisation on our side.
  std::string lf;
  for (char c : sig.signed_bytes) {
    if (c != '\r') {
      lf += c;
    }
  }
  BOOST_TEST((crypto->verify_detached(lf, sig.signature)->status == Status::bad));

  const list::ParsedPost by_mallory = parse("signed-by-non-member.eml");
  BOOST_TEST_REQUIRE(by_mallory.signature.has_value());
  const auto unknown =
      crypto->verify_detached(by_mallory.signature->signed_bytes, by_mallory.signature->signature);
  BOOST_TEST_REQUIRE(unknown.has_value());
  BOOST_TEST((unknown->status == Status::unknown_key));
  BOOST_TEST(unknown->fingerprint == k_mallory_fpr); // the issuer, as gpg names it

  const auto garbage = crypto->verify_detached(sig.signed_bytes, "not a signature");
  BOOST_TEST_REQUIRE(garbage.has_value());
  BOOST_TEST((garbage->status == Status::bad));
}

BOOST_AUTO_TEST_CASE(verifies_clearsigned_text) {
  ListHome list_home;
  auto crypto = list::open_gpg_post_crypto(list_home.home);
  const list::ParsedPost post = parse("inline-signed.eml");
  std::string text;
  const auto checked = crypto->verify_clearsigned(post.clearsigned, text);
  BOOST_TEST_REQUIRE(checked.has_value());
  BOOST_TEST((checked->status == Status::good));
  BOOST_TEST(checked->fingerprint == k_alice_fpr);
  BOOST_TEST(text.find("Inline signed body.") != std::string::npos);
  BOOST_TEST(text.find("\n- a line starting with a dash") != std::string::npos); // dash-unescaped

  std::string altered = post.clearsigned;
  altered.replace(altered.find("Inline"), 6, "Online");
  const auto bad = crypto->verify_clearsigned(altered, text);
  BOOST_TEST_REQUIRE(bad.has_value());
  BOOST_TEST((bad->status == Status::bad));
}

// A signature made while carol's key was valid, checked after it expired.
BOOST_AUTO_TEST_CASE(signature_by_an_expired_key_is_bad) {
  ListHome list_home;
  Signer carol({test::fixture_path("secret/expired.asc")});
  const std::string fpr = test::fixture_fingerprints("expired.asc").at(0);
  const std::string sig = carol.sign(fpr, "hello\r\n", "--faked-system-time 20200601T000000!");
  auto crypto = list::open_gpg_post_crypto(list_home.home);
  const auto checked = crypto->verify_detached("hello\r\n", sig);
  BOOST_TEST_REQUIRE(checked.has_value());
  BOOST_TEST((checked->status == Status::bad));
  BOOST_TEST(checked->fingerprint == fpr);
}

// gpg names the signing SUBKEY; the verdict must name the primary key.
BOOST_AUTO_TEST_CASE(signing_subkey_maps_to_the_primary_fingerprint) {
  ListHome list_home;
  test::TempDir scratch;
  const std::string home = scratch / "gnupg";
  BOOST_TEST_REQUIRE(list::prepare_gnupg_home(home).has_value());
  BOOST_TEST_REQUIRE(
      test::gpg(home, "--passphrase '' --quick-gen-key 'Sub <sub@example.org>' ed25519 cert never")
          .status == 0);
  const auto fprs = test::colon_records(test::gpg(home, "--with-colons --list-keys").output, "fpr");
  BOOST_TEST_REQUIRE(fprs.size() == 1u);
  const std::string primary = fprs[0][9];
  BOOST_TEST_REQUIRE(
      test::gpg(home, fmt::format("--passphrase '' --quick-add-key {} ed25519 sign never", primary))
          .status == 0);
  const auto all_fprs =
      test::colon_records(test::gpg(home, "--with-colons --list-keys").output, "fpr");
  BOOST_TEST_REQUIRE(all_fprs.size() == 2u);
  const std::string subkey = all_fprs[1][9];
  BOOST_TEST_REQUIRE(
      test::gpg(home, fmt::format("--armor -o '{}' --export {}", scratch / "sub.asc", primary))
          .status == 0);
  test::import_keys(list_home.engine_home, {scratch / "sub.asc"});

  test::write_file(scratch / "data", "signed by a subkey\r\n");
  BOOST_TEST_REQUIRE(test::gpg(home, fmt::format("--armor -u {} -o '{}' --detach-sign '{}'",
                                                 primary, scratch / "data.sig", scratch / "data"))
                         .status == 0);
  // The signature really is by the subkey.
  const test::Run verified =
      test::run(fmt::format("gpg --homedir '{}' --batch --status-fd 1 --verify '{}' '{}' 2>&1",
                            home, scratch / "data.sig", scratch / "data"));
  BOOST_TEST(verified.output.find("VALIDSIG " + subkey) != std::string::npos);

  auto crypto = list::open_gpg_post_crypto(list_home.home);
  const auto checked =
      crypto->verify_detached("signed by a subkey\r\n", test::read_file(scratch / "data.sig"));
  BOOST_TEST_REQUIRE(checked.has_value());
  BOOST_TEST((checked->status == Status::good));
  BOOST_TEST(checked->fingerprint == primary);
}

BOOST_AUTO_TEST_CASE(signs_detached_with_the_list_key) {
  ListHome list_home;
  // Without a fingerprint: the one secret key of the home.
  for (const std::string& fpr : {std::string(), std::string(k_list_fpr)}) {
    auto crypto = list::open_gpg_post_crypto(list_home.home, fpr);
    const std::string data = "Content-Type: text/plain\r\n\r\nexact bytes  \r\n";
    std::string micalg;
    const auto signature = crypto->sign_detached(data, micalg);
    BOOST_TEST_REQUIRE(signature.has_value(), (signature ? "" : signature.error().message));
    BOOST_TEST(signature->find("-----BEGIN PGP SIGNATURE-----") == 0u);
    // gpg.conf prefers SHA512 for the list homes (gpg_home.cpp).
    BOOST_TEST(micalg == "pgp-sha512");

    // The gpg binary, knowing only the list's public key, agrees.
    test::TempDir verifier;
    const std::string home = verifier / "gnupg";
    BOOST_TEST_REQUIRE(list::prepare_gnupg_home(home).has_value());
    test::import_keys(home, {test::mail_fixture_path("list-key.asc")});
    test::write_file(verifier / "data", data);
    test::write_file(verifier / "data.sig", *signature);
    const test::Run verified =
        test::run(fmt::format("gpg --homedir '{}' --batch --status-fd 1 --verify '{}' '{}' 2>&1",
                              home, verifier / "data.sig", verifier / "data"));
    BOOST_TEST(verified.status == 0);
    BOOST_TEST(verified.output.find(fmt::format("VALIDSIG {}", k_list_fpr)) != std::string::npos);
    // And it checks with PostCrypto itself.
    BOOST_TEST((crypto->verify_detached(data, *signature)->status == Status::good));
  }
  auto wrong = list::open_gpg_post_crypto(list_home.home, std::string(k_alice_fpr));
  std::string micalg;
  BOOST_TEST(!wrong->sign_detached("x", micalg).has_value()); // no secret for alice
}

BOOST_AUTO_TEST_CASE(encrypts_to_a_member_key) {
  ListHome list_home;
  auto crypto = list::open_gpg_post_crypto(list_home.home);
  const std::string text = "a notice for alice\r\n";
  const auto sealed = crypto->encrypt_to(text, k_alice_fpr);
  BOOST_TEST_REQUIRE(sealed.has_value(), (sealed ? "" : sealed.error().message));
  BOOST_TEST(sealed->find("-----BEGIN PGP MESSAGE-----") == 0u);

  Signer alice({test::fixture_path("secret/valid-cv25519.asc")});
  test::write_file(alice.dir / "msg.asc", *sealed);
  BOOST_TEST(test::gpg(alice.home, fmt::format("--decrypt '{}'", alice.dir / "msg.asc")).output ==
             text);
  const std::string packets =
      test::gpg(alice.home, fmt::format("--list-packets '{}'", alice.dir / "msg.asc")).output;
  size_t pubkey_packets = 0;
  for (size_t at = packets.find(":pubkey enc packet:"); at != std::string::npos;
       at = packets.find(":pubkey enc packet:", at + 1)) {
    ++pubkey_packets;
  }
  BOOST_TEST(pubkey_packets == 1u);

  // Lowercase fingerprints are fine; unknown, expired and malformed ones are not.
  std::string lower(k_bob_fpr);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  BOOST_TEST(crypto->encrypt_to(text, lower).has_value());
  BOOST_TEST(!crypto->encrypt_to(text, k_mallory_fpr).has_value());
  BOOST_TEST(
      !crypto->encrypt_to(text, test::fixture_fingerprints("expired.asc").at(0)).has_value());
  BOOST_TEST(!crypto->encrypt_to(text, "alice").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
