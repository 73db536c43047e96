#include <algorithm>
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/crypto/key_check.hpp>
#include <optional>

namespace list {

namespace {

bool expired_at(bool flag, std::int64_t expires, std::int64_t now) {
  return flag || (expires != 0 && expires <= now);
}

bool usable_for_encryption(const SubkeyFacts& subkey, std::int64_t now) {
  return subkey.can_encrypt && !subkey.revoked && !subkey.disabled && !subkey.invalid &&
         !expired_at(subkey.expired, subkey.expires, now);
}

// The expiry a member's key is good until: the latest of its usable
// encryption subkeys, nullopt when one of them never expires.
std::optional<std::int64_t> encryption_expiry(const KeyFacts& key, std::int64_t now) {
  std::optional<std::int64_t> latest;
  for (const SubkeyFacts& subkey : key.subkeys) {
    if (!usable_for_encryption(subkey, now)) {
      continue;
    }
    if (subkey.expires == 0) {
      return std::nullopt;
    }
    latest = std::max(latest.value_or(0), subkey.expires);
  }
  return latest;
}

bool has_user_id_for(const KeyFacts& key, std::string_view email) {
  for (const UserIdFacts& uid : key.user_ids) {
    // A revoked user ID is one its owner withdrew: it binds no address.
    if (!uid.revoked && !uid.invalid && same_address(user_id_address(uid.id), email)) {
      return true;
    }
  }
  return false;
}

} // namespace

std::string_view user_id_address(std::string_view user_id) {
  const size_t open = user_id.rfind('<');
  if (open != std::string_view::npos) {
    const size_t close = user_id.find('>', open);
    if (close != std::string_view::npos) {
      return user_id.substr(open + 1, close - open - 1);
    }
  }
  const size_t first = user_id.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const size_t last = user_id.find_last_not_of(" \t");
  return user_id.substr(first, last - first + 1);
}

util::Result<KeyInfo> check_member_key(const std::vector<KeyFacts>& keys, std::string_view email,
                                       UidCheck uid_check, std::int64_t now) {
  if (keys.empty()) {
    return util::permanent("not an OpenPGP public key (export it with gpg --armor --export)");
  }
  if (keys.size() > 1) {
    return util::permanent(fmt::format("contains {} keys; give exactly one", keys.size()));
  }
  const KeyFacts& key = keys.front();
  // The list must never hold a member's secret key: refuse it outright
  // rather than import only its public half and keep quiet about the leak.
  if (key.has_secret) {
    return util::permanent("not an OpenPGP public key (this is a secret key: send only the public "
                           "key, gpg --armor --export)");
  }
  if (key.subkeys.empty() || key.fingerprint.empty()) {
    return util::permanent("not an OpenPGP public key (export it with gpg --armor --export)");
  }
  const SubkeyFacts& primary = key.subkeys.front();
  if (key.revoked || primary.revoked) {
    return util::permanent(
        fmt::format("key {} is revoked; the member needs a new key", key.fingerprint));
  }
  if (expired_at(key.expired || primary.expired, primary.expires, now)) {
    return util::permanent(fmt::format(
        "key {} is expired; the member must extend it and send it again", key.fingerprint));
  }
  if (key.disabled || key.invalid || primary.invalid) {
    return util::permanent(
        fmt::format("key {} is not usable (invalid or disabled in GnuPG)", key.fingerprint));
  }
  bool can_encrypt = false;
  for (const SubkeyFacts& subkey : key.subkeys) {
    can_encrypt = can_encrypt || usable_for_encryption(subkey, now);
  }
  if (!can_encrypt) {
    return util::permanent(
        fmt::format("key {} has no usable encryption subkey; the member must add or renew one",
                    key.fingerprint));
  }
  if (uid_check == UidCheck::require_match && !has_user_id_for(key, email)) {
    return util::permanent(
        fmt::format("no user ID of key {} matches {} (use --allow-uid-mismatch to override)",
                    key.fingerprint, email));
  }
  KeyInfo info;
  info.fingerprint = key.fingerprint;
  info.expires = encryption_expiry(key, now);
  for (const UserIdFacts& uid : key.user_ids) {
    if (!uid.revoked) {
      info.user_ids.push_back(uid.id);
    }
  }
  return info;
}

} // namespace list
