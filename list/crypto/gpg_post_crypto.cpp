#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <gpgme++/data.h>
#include <gpgme++/decryptionresult.h>
#include <gpgme++/encryptionresult.h>
#include <gpgme++/interfaces/dataprovider.h>
#include <gpgme++/key.h>
#include <gpgme++/keylistresult.h>
#include <gpgme++/signingresult.h>
#include <gpgme++/verificationresult.h>
#include <list/crypto/fingerprint.hpp>
#include <list/crypto/gpg_context.hpp>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_post_crypto.hpp>

namespace list {

namespace {

// A post's plaintext lives in memory only; a small compressed message can
// expand to gigabytes, so decryption stops past this size (a permanent
// refusal, far above any list's max_message_size).
constexpr size_t k_max_plaintext = 128 * 1024 * 1024;

// Summary bits that make a cryptographically correct signature unacceptable.
// The list homes use trust-model always (gpg_home.cpp): Lifeline binds members
// to fingerprints itself, so GnuPG never reports a key as Valid/Green there
// (its validity stays "unknown"). A signature therefore counts as good when
// gpg reports it correct (status 0) and none of these red flags is set: the
// verdict is about the signature and the key's own state, not the web of trust.
constexpr unsigned k_red_flags = GpgME::Signature::Red | GpgME::Signature::KeyRevoked |
                                 GpgME::Signature::KeyExpired | GpgME::Signature::SigExpired |
                                 GpgME::Signature::KeyMissing | GpgME::Signature::BadPolicy |
                                 GpgME::Signature::SysError;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// An in-memory output that refuses to grow past a limit: gpg then fails the
// operation with a write error instead of exhausting memory.
class BoundedSink final : public GpgME::DataProvider {
public:
  explicit BoundedSink(size_t limit) : m_limit(limit) {}

  bool isSupported(Operation op) const override { return op != Release; }
  ssize_t read(void* buffer, size_t size) override {
    const size_t n = std::min(size, m_bytes.size() - std::min(m_pos, m_bytes.size()));
    std::memcpy(buffer, m_bytes.data() + m_pos, n);
    m_pos += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const void* buffer, size_t size) override {
    if (m_pos + size > m_limit) {
      m_overflow = true;
      errno = EFBIG;
      return -1;
    }
    if (m_bytes.size() < m_pos + size) {
      m_bytes.resize(m_pos + size);
    }
    std::memcpy(m_bytes.data() + m_pos, buffer, size);
    m_pos += size;
    return static_cast<ssize_t>(size);
  }
  off_t seek(off_t offset, int whence) override {
    const off_t base = whence == SEEK_SET   ? 0
                       : whence == SEEK_CUR ? static_cast<off_t>(m_pos)
                                            : static_cast<off_t>(m_bytes.size());
    if (base + offset < 0) {
      errno = EINVAL;
      return -1;
    }
    m_pos = static_cast<size_t>(base + offset);
    return static_cast<off_t>(m_pos);
  }
  void release() override {}

  bool overflowed() const { return m_overflow; }
  std::string take() { return std::move(m_bytes); }

private:
  size_t m_limit;
  std::string m_bytes;
  size_t m_pos = 0;
  bool m_overflow = false;
};

// Ranks signature verdicts when a message carries several: the best wins,
// so one good signature by a member is not spoiled by an unrelated one.
int rank(SignatureCheck::Status status) {
  switch (status) {
  case SignatureCheck::Status::good:
    return 3;
  case SignatureCheck::Status::bad:
    return 2;
  case SignatureCheck::Status::unknown_key:
    return 1;
  case SignatureCheck::Status::none:
    break;
  }
  return 0;
}

class GpgPostCrypto final : public PostCrypto {
public:
  GpgPostCrypto(std::string home, std::string list_fingerprint)
      : m_home(std::move(home)), m_list_fingerprint(uppercase(list_fingerprint)) {}

  util::Result<Decrypted> decrypt(std::string_view ciphertext) override;
  util::Result<SignatureCheck> verify_detached(std::string_view signed_bytes,
                                               std::string_view signature) override;
  util::Result<SignatureCheck> verify_clearsigned(std::string_view clearsigned,
                                                  std::string& text) override;
  util::Result<std::string> sign_detached(std::string_view data, std::string& micalg) override;
  util::Result<std::string> encrypt_to(std::string_view data,
                                       std::string_view fingerprint) override;

private:
  // The context of this object, made on first use: one per worker thread.
  util::Result<GpgME::Context*> context();
  util::Result<SignatureCheck> check(const GpgME::VerificationResult& result,
                                     std::string_view doing);
  util::Result<SignatureCheck> classify(const GpgME::Signature& signature);
  std::string primary_fingerprint(const std::string& fingerprint);
  util::Result<void> use_list_key_for_signing();

  std::string m_home;
  std::string m_list_fingerprint;
  std::unique_ptr<GpgME::Context> m_context;
  bool m_signer_set = false;
};

util::Result<GpgME::Context*> GpgPostCrypto::context() {
  if (!m_context) {
    auto engine_home = prepare_gnupg_home(m_home);
    if (!engine_home) {
      return tl::unexpected(engine_home.error());
    }
    auto made = make_context(*engine_home);
    if (!made) {
      return tl::unexpected(made.error());
    }
    m_context = std::move(*made);
  }
  return m_context.get();
}

// gpg names the key that made the signature, which is a subkey for keys with
// a signing subkey; members are bound to primary fingerprints.
std::string GpgPostCrypto::primary_fingerprint(const std::string& fingerprint) {
  GpgME::Error err;
  const GpgME::Key key = m_context->key(fingerprint.c_str(), err, false);
  if (err || key.isNull() || key.primaryFingerprint() == nullptr) {
    return fingerprint;
  }
  return uppercase(key.primaryFingerprint());
}

util::Result<SignatureCheck> GpgPostCrypto::classify(const GpgME::Signature& signature) {
  const GpgME::Error status = signature.status();
  const std::string fingerprint = uppercase(signature.fingerprint() ? signature.fingerprint() : "");
  if (status.code() == GPG_ERR_NO_PUBKEY) {
    // Not in the keyring: gpg can only name the issuer (fingerprint or key ID).
    return SignatureCheck{SignatureCheck::Status::unknown_key, fingerprint};
  }
  if (status && to_error(status, "").severity == util::Severity::transient) {
    return tl::unexpected(to_error(status, "checking a signature"));
  }
  const bool good = !status && (signature.summary() & k_red_flags) == 0;
  return SignatureCheck{good ? SignatureCheck::Status::good : SignatureCheck::Status::bad,
                        fingerprint.empty() ? fingerprint : primary_fingerprint(fingerprint)};
}

util::Result<SignatureCheck> GpgPostCrypto::check(const GpgME::VerificationResult& result,
                                                  std::string_view doing) {
  if (result.error() && to_error(result.error(), "").severity == util::Severity::transient) {
    return tl::unexpected(to_error(result.error(), doing));
  }
  SignatureCheck best;
  for (const GpgME::Signature& signature : result.signatures()) {
    auto checked = classify(signature);
    if (!checked) {
      return checked;
    }
    if (rank(checked->status) > rank(best.status)) {
      best = std::move(*checked);
    }
  }
  return best;
}

util::Result<Decrypted> GpgPostCrypto::decrypt(std::string_view ciphertext) {
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  const GpgME::Data cipher(ciphertext.data(), ciphertext.size(), false);
  BoundedSink sink(k_max_plaintext);
  GpgME::Data plain(&sink);
  const auto [decryption, verification] = (*ctx)->decryptAndVerify(cipher, plain);
  if (sink.overflowed()) {
    return util::permanent(
        fmt::format("the decrypted post is larger than {} MiB", k_max_plaintext / (1024 * 1024)));
  }
  if (const GpgME::Error err = decryption.error(); err) {
    const util::Error mapped = to_error(err, "decrypting the post");
    if (mapped.severity == util::Severity::transient) {
      return tl::unexpected(mapped);
    }
    // Permanent: say it in words the sender can act on.
    switch (err.code()) {
    case GPG_ERR_NO_SECKEY:
      return util::permanent("not encrypted to the list key");
    case GPG_ERR_NO_DATA:
    case GPG_ERR_BAD_DATA:
    case GPG_ERR_INV_PACKET:
    case GPG_ERR_INV_ARMOR:
    case GPG_ERR_CHECKSUM:
      return util::permanent("not a readable OpenPGP message");
    default:
      if (decryption.isLegacyCipherNoMDC()) {
        return util::permanent("the message is not integrity protected (no MDC)");
      }
      return tl::unexpected(mapped);
    }
  }
  if (decryption.isLegacyCipherNoMDC()) {
    return util::permanent("the message is not integrity protected (no MDC)");
  }
  auto signature = check(verification, "checking the signature of the post");
  if (!signature) {
    return tl::unexpected(signature.error());
  }
  return Decrypted{sink.take(), std::move(*signature)};
}

util::Result<SignatureCheck> GpgPostCrypto::verify_detached(std::string_view signed_bytes,
                                                            std::string_view signature) {
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  // Binary: gpg hashes exactly these bytes (a text-mode signature makes gpg
  // canonicalise line ends itself, as OpenPGP defines for its class).
  (*ctx)->setTextMode(false);
  const GpgME::Data sig(signature.data(), signature.size(), false);
  const GpgME::Data data(signed_bytes.data(), signed_bytes.size(), false);
  const GpgME::VerificationResult result = (*ctx)->verifyDetachedSignature(sig, data);
  auto checked = check(result, "verifying the signature");
  if (checked && checked->status == SignatureCheck::Status::none) {
    // The sender claimed a signature that gpg cannot read: it does not verify.
    checked->status = SignatureCheck::Status::bad;
  }
  return checked;
}

util::Result<SignatureCheck> GpgPostCrypto::verify_clearsigned(std::string_view clearsigned,
                                                               std::string& text) {
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  const GpgME::Data signed_data(clearsigned.data(), clearsigned.size(), false);
  BoundedSink sink(k_max_plaintext);
  GpgME::Data plain(&sink);
  const GpgME::VerificationResult result = (*ctx)->verifyOpaqueSignature(signed_data, plain);
  auto checked = check(result, "verifying the signature");
  if (checked && checked->status == SignatureCheck::Status::none) {
    checked->status = SignatureCheck::Status::bad;
  }
  text = sink.take();
  return checked;
}

util::Result<void> GpgPostCrypto::use_list_key_for_signing() {
  if (m_signer_set) {
    return {};
  }
  GpgME::Context& ctx = *m_context;
  if (m_list_fingerprint.empty()) {
    // No fingerprint given: the list home holds exactly one secret key.
    std::vector<GpgME::Key> secret;
    GpgME::Error err = ctx.startKeyListing(static_cast<const char*>(nullptr), true);
    while (!err) {
      GpgME::Key key = ctx.nextKey(err);
      if (!err && !key.isNull()) {
        secret.push_back(key);
      }
    }
    ctx.endKeyListing();
    if (err.code() != GPG_ERR_EOF) {
      return tl::unexpected(to_error(err, "finding the list key"));
    }
    if (secret.size() != 1 || secret[0].primaryFingerprint() == nullptr) {
      return util::permanent(
          fmt::format("the list's GnuPG home holds {} secret keys; expected exactly the list key",
                      secret.size()));
    }
    m_list_fingerprint = uppercase(secret[0].primaryFingerprint());
  }
  GpgME::Error err;
  const GpgME::Key key = ctx.key(m_list_fingerprint.c_str(), err, true);
  if (err) {
    return tl::unexpected(to_error(err, "finding the list key"));
  }
  if (key.isNull() || !key.canSign()) {
    return util::permanent(
        fmt::format("the list key {} is missing or cannot sign", m_list_fingerprint));
  }
  ctx.clearSigningKeys();
  if (auto added = ctx.addSigningKey(key); added) {
    return tl::unexpected(to_error(added, "using the list key"));
  }
  m_signer_set = true;
  return {};
}

util::Result<std::string> GpgPostCrypto::sign_detached(std::string_view data, std::string& micalg) {
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  if (auto signer = use_list_key_for_signing(); !signer) {
    return tl::unexpected(signer.error());
  }
  // Binary over exactly `data`: the builder hands over the CRLF canonical
  // form RFC 3156 section 5 asks to be signed.
  (*ctx)->setTextMode(false);
  const GpgME::Data plain(data.data(), data.size(), false);
  GpgME::Data signature;
  const GpgME::SigningResult result = (*ctx)->sign(plain, signature, GpgME::Detached);
  if (result.error()) {
    return tl::unexpected(to_error(result.error(), "signing with the list key"));
  }
  const auto created = result.createdSignatures();
  if (created.empty() || created[0].hashAlgorithmAsString() == nullptr) {
    return util::transient("signing with the list key: gpg reported no signature");
  }
  // RFC 3156 section 5: "pgp-" and the hash name as OpenPGP spells it, lowercase.
  micalg = "pgp-" + lowercase(created[0].hashAlgorithmAsString());
  return signature.toString();
}

util::Result<std::string> GpgPostCrypto::encrypt_to(std::string_view data,
                                                    std::string_view fingerprint) {
  if (!is_fingerprint(fingerprint)) {
    return util::permanent(
        fmt::format("'{}' is not a key fingerprint (40 hex digits)", fingerprint.substr(0, 64)));
  }
  auto ctx = context();
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  const std::string fpr = uppercase(fingerprint);
  GpgME::Error err;
  const GpgME::Key key = (*ctx)->key(fpr.c_str(), err, false);
  if (err && err.code() != GPG_ERR_EOF) {
    return tl::unexpected(to_error(err, fmt::format("finding key {}", fpr)));
  }
  if (key.isNull()) {
    return util::permanent(fmt::format("no key {} in the list's keyring", fpr));
  }
  if (!key.canEncrypt()) {
    return util::permanent(
        fmt::format("key {} cannot encrypt (expired, revoked or no encryption subkey)", fpr));
  }
  const GpgME::Data plain(data.data(), data.size(), false);
  GpgME::Data cipher;
  // Always trust: the member is bound to this fingerprint by Lifeline.
  const GpgME::EncryptionResult result =
      (*ctx)->encrypt({key}, plain, cipher, GpgME::Context::AlwaysTrust);
  if (result.error()) {
    return tl::unexpected(to_error(result.error(), fmt::format("encrypting to key {}", fpr)));
  }
  return cipher.toString();
}

} // namespace

std::unique_ptr<PostCrypto> open_gpg_post_crypto(const std::string& list_gnupg_home,
                                                 std::string list_fingerprint) {
  return std::make_unique<GpgPostCrypto>(list_gnupg_home, std::move(list_fingerprint));
}

} // namespace list
