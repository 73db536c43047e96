// The OpenPGP operations the pipeline needs, as interfaces free of GPGME
// types: opening a post (decrypt, verify) and signing with the list key
// (PostCrypto, one list's keyring), and sealing a copy for one member
// (Sealer, the hot path). Implementations: list/crypto (gpgme++ for
// PostCrypto and a gpg sealer; librnp for the default, in-process sealer).
// Errors are util::Results.
#pragma once

#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

/// What a signature check found. A post counts as signed by a member only
/// when status is good AND fingerprint is the key bound to a member.
struct SignatureCheck {
  enum class Status {
    none,        // no signature at all
    good,        // valid, by the key `fingerprint`
    bad,         // present but does not verify (tampered, or expired/revoked key)
    unknown_key, // the signing key is not in the list's keyring
  };
  Status status = Status::none;
  std::string fingerprint; // the signing key's PRIMARY fingerprint (uppercase hex)
};

/// The plaintext of an encrypted post (memory only, never written to disk).
struct Decrypted {
  std::string plaintext;
  SignatureCheck signature; // a signature inside the encryption, if any
};

/// Operations with one list's keyring. One object per worker thread.
class PostCrypto {
public:
  virtual ~PostCrypto() = default;
  /// Decrypts with the list key and verifies any signature inside. A message
  /// not encrypted to the list key is a permanent error.
  virtual util::Result<Decrypted> decrypt(std::string_view ciphertext) = 0;
  /// Verifies a detached signature over exactly `signed_bytes`.
  virtual util::Result<SignatureCheck> verify_detached(std::string_view signed_bytes,
                                                       std::string_view signature) = 0;
  /// Verifies a clearsigned block; `text` receives the signed text.
  virtual util::Result<SignatureCheck> verify_clearsigned(std::string_view clearsigned,
                                                          std::string& text) = 0;
  /// A detached, armored signature by the list key over exactly `data`;
  /// `micalg` receives the RFC 3156 micalg ("pgp-sha256").
  virtual util::Result<std::string> sign_detached(std::string_view data, std::string& micalg) = 0;
  /// Encrypts `data` to the key `fingerprint` in the list's keyring alone
  /// (for notices and replies; not the fan-out hot path).
  virtual util::Result<std::string> encrypt_to(std::string_view data,
                                               std::string_view fingerprint) = 0;
};

/// A member's public key as stored: what the sealer encrypts to.
struct MemberKey {
  std::string fingerprint; // primary, uppercase hex
  std::string key_data;    // the public key as imported (binary or armored)
};

/// Seals one copy: encrypts a signed body to one member's key alone (armored
/// OpenPGP message, SEIPD with MDC, no compression, no other key ID). The
/// fan-out hot path: one Sealer per worker thread, and its cost per member
/// must not grow with the number of members.
class Sealer {
public:
  virtual ~Sealer() = default;
  virtual util::Result<std::string> seal(std::string_view signed_body, const MemberKey& key) = 0;
};

} // namespace list
