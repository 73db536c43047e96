#include <sodium.h>
#include <stdexcept>
#include <util/random.hpp>
#include <vector>

namespace util {

namespace {
void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; it fails only without entropy.
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium cannot initialise (no entropy source)");
  }
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}
} // namespace

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return to_hex(buf.data(), buf.size());
}

std::string random_token(std::size_t bytes) {
  ensure_sodium();
  static constexpr char k_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out;
  unsigned bits = 0;
  unsigned value = 0;
  for (unsigned char byte : buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(k_alphabet[(value >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) {
    out.push_back(k_alphabet[(value << (5 - bits)) & 31]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(digest, sizeof digest);
}

} // namespace util
