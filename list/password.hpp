// Panel passwords: argon2id (libsodium) with at least OWASP's parameters
// (19 MiB, t=2); stored in libsodium's self-describing encoded form.
#pragma once

#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

/// Hashes `password`; refuses passwords shorter than 12 characters.
util::Result<std::string> hash_password(std::string_view password);

/// True if `password` matches the stored `hash`.
bool verify_password(std::string_view hash, std::string_view password);

} // namespace list
