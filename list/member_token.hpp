// Per-member tokens derived, not stored: HMAC-SHA256 of the member id under
// the list's secret (Store::list_secret), truncated to 128 bits, hex. The
// one-click unsubscribe URL carries one; verifying recomputes it. Pure.
#pragma once

#include <list/types.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace list {

/// 32 hex characters (128 bits): the member's unsubscribe token.
std::string unsubscribe_token(std::string_view list_secret, Id member);

/// The member among `members` whose token is `token` (constant-time compare).
std::optional<Id> match_unsubscribe_token(std::string_view list_secret, std::span<const Id> members,
                                          std::string_view token);

/// A keyed hash (HMAC-SHA256, hex) of `data`: stable per-list identifiers
/// (mapped Message-IDs) that reveal nothing of their input.
std::string keyed_hash_hex(std::string_view secret, std::string_view data);

} // namespace list
