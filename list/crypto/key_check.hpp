// The rules a member's public key must pass, over plain facts about the keys
// (gpg_keyring fills them from GPGME), so they are testable without GnuPG.
// Refusals are permanent util::Errors: one line naming the problem.
#pragma once

#include <cstdint>
#include <list/keyring.hpp>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace list {

/// One (sub)key; the primary key is the first of KeyFacts::subkeys.
struct SubkeyFacts {
  bool can_encrypt = false;
  bool revoked = false;
  bool expired = false; // as GnuPG judged it
  bool disabled = false;
  bool invalid = false;
  std::int64_t expires = 0; // unix seconds; 0: never
};

struct UserIdFacts {
  std::string id; // "Alice <alice@example.org>" as in the key
  bool revoked = false;
  bool invalid = false;
};

struct KeyFacts {
  std::string fingerprint; // primary, uppercase hex
  bool revoked = false;
  bool expired = false;
  bool disabled = false;
  bool invalid = false;
  bool has_secret = false; // secret key material came with it
  std::vector<SubkeyFacts> subkeys;
  std::vector<UserIdFacts> user_ids;
};

/// The address a user ID speaks for: the text inside <...>, or the whole
/// user ID (trimmed) when it is a bare address.
std::string_view user_id_address(std::string_view user_id);

/// Accepts exactly one public key that is neither revoked nor expired, has a
/// usable encryption (sub)key and, unless allowed, a user ID for `email`
/// (case-insensitive). `now` (unix seconds) backs up GnuPG's expiry flags.
util::Result<KeyInfo> check_member_key(const std::vector<KeyFacts>& keys, std::string_view email,
                                       UidCheck uid_check, std::int64_t now);

} // namespace list
