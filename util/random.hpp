// CSPRNG tokens (libsodium) and their one-way hashes for storage.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace util {

/// `bytes` random bytes from the OS CSPRNG, as lowercase hex.
std::string random_hex(std::size_t bytes);

/// A URL- and address-safe token of 128+ bits (base32, lowercase, no padding).
std::string random_token(std::size_t bytes = 20);

/// SHA-256 of `data` as lowercase hex: how tokens and audit entries are stored.
std::string sha256_hex(std::string_view data);

} // namespace util
