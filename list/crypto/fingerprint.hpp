// Small helpers every OpenPGP adapter needs on fingerprints and key data:
// recognising a fingerprint, its canonical (uppercase) form, and a cheap name
// for one version of a key's bytes. Pure functions; nothing here fails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace list {

/// 40 hex digits (a v4 fingerprint), in either case.
bool is_fingerprint(std::string_view text);

/// ASCII uppercase: fingerprints are compared and stored in this form.
std::string uppercase(std::string_view text);

/// FNV-1a over `bytes`: names a version of a key's data so that updated data
/// (a new subkey, an extended expiry, a revocation) is checked again. A cache
/// name, not a security boundary.
std::uint64_t content_hash(std::string_view bytes);

} // namespace list
