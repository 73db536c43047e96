#include <list/password.hpp>
#include <sodium.h>

namespace list {

namespace {
// OWASP (2023) minimum for argon2id is m=19 MiB, t=2, p=1; libsodium's
// "interactive" limits (64 MiB, t=2) exceed it and stay under 100 ms here.
constexpr unsigned long long k_ops_limit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t k_mem_limit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static_assert(k_ops_limit >= 2 && k_mem_limit >= 19u * 1024 * 1024);
constexpr std::size_t k_min_length = 12;
} // namespace

util::Result<std::string> hash_password(std::string_view password) {
  if (sodium_init() < 0) {
    return util::transient("libsodium cannot initialise");
  }
  if (password.size() < k_min_length) {
    return util::permanent("the password must have at least 12 characters");
  }
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), k_ops_limit, k_mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return util::transient("out of memory while hashing the password");
  }
  return std::string(encoded);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (sodium_init() < 0 || hash.size() >= crypto_pwhash_STRBYTES) {
    return false;
  }
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

} // namespace list
