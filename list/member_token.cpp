#include <list/member_token.hpp>
#include <sodium.h>

namespace list {

std::string keyed_hash_hex(std::string_view secret, std::string_view data) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, sizeof mac * 2);
}

std::string unsubscribe_token(std::string_view list_secret, Id member) {
  // A purpose label: the same secret keys other derived values.
  return keyed_hash_hex(list_secret, "unsubscribe:" + std::to_string(member)).substr(0, 32);
}

std::optional<Id> match_unsubscribe_token(std::string_view list_secret, std::span<const Id> members,
                                          std::string_view token) {
  if (token.size() != 32) {
    return std::nullopt;
  }
  std::optional<Id> found;
  for (Id member : members) {
    const std::string expected = unsubscribe_token(list_secret, member);
    if (sodium_memcmp(expected.data(), token.data(), 32) == 0) {
      found = member;
    }
  }
  return found;
}

} // namespace list
