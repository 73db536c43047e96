// The audit log's hash chain: each entry's hash covers the previous hash and
// the entry's fields, so editing or deleting a row breaks verification there.
#pragma once

#include <list/types.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace list {

/// 64 zeros: the prev_hash of the first entry.
std::string_view audit_genesis_hash();

/// SHA-256 over prev_hash and the entry's time and event fields, unambiguously
/// framed (length-prefixed) so that no two different entries hash alike.
std::string audit_hash(std::string_view prev_hash, std::string_view time, const AuditEvent& event);

/// The id of the first entry whose prev_hash or hash does not check, if any.
std::optional<Id> first_broken_entry(std::span<const AuditEntry> entries);

} // namespace list
