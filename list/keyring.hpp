// One list's OpenPGP keyring: the list key and its members' public keys.
// Free of GPGME types so that an in-process implementation can replace the
// GnuPG one (list/crypto/gpg_keyring). Refusals are permanent Errors whose
// message is one line an operator can act on.
#pragma once

#include <cstdint>
#include <list/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace list {

/// Who the list key speaks for: user IDs for post, -request and -owner.
struct ListIdentity {
  std::string name;    // "Crew"
  std::string address; // crew@lists.example.org
};

/// What we learnt of a public key we accepted.
struct KeyInfo {
  std::string fingerprint;             // primary key, uppercase hex
  std::optional<std::int64_t> expires; // unix seconds of the encryption subkey
  std::vector<std::string> user_ids;   // as in the key
};

/// Two-value enum instead of a bool: must a user ID carry the member's address?
enum class UidCheck { require_match, allow_mismatch };

class Keyring {
public:
  virtual ~Keyring() = default;

  /// Generates the list key with user IDs for address, -request and -owner;
  /// returns the primary fingerprint.
  virtual util::Result<std::string> create_list_key(const ListIdentity& identity, KeyType type) = 0;

  /// The armored public key for `fingerprint`.
  virtual util::Result<std::string> export_public_key(std::string_view fingerprint) = 0;

  /// Checks without importing that `key_data` is exactly one public key that is
  /// not expired or revoked, can encrypt, and (unless allowed) has a user ID
  /// for `email` (case-insensitive).
  virtual util::Result<KeyInfo> inspect_member_key(std::string_view key_data,
                                                   std::string_view email, UidCheck uid_check) = 0;

  /// inspect_member_key, then imports the key into this keyring.
  virtual util::Result<KeyInfo> import_member_key(std::string_view key_data, std::string_view email,
                                                  UidCheck uid_check) = 0;
};

} // namespace list
