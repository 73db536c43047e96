#include <fmt/format.h>
#include <list/audit.hpp>
#include <util/random.hpp>

namespace list {

std::string_view audit_genesis_hash() {
  return "0000000000000000000000000000000000000000000000000000000000000000";
}

std::string audit_hash(std::string_view prev_hash, std::string_view time, const AuditEvent& event) {
  // Length-prefixed fields: "ab"+"c" and "a"+"bc" must not hash alike.
  std::string framed;
  for (std::string_view field :
       {prev_hash, time, std::string_view(event.actor), std::string_view(event.action),
        std::string_view(event.target), std::string_view(event.detail)}) {
    framed += fmt::format("{}:", field.size());
    framed += field;
  }
  return util::sha256_hex(framed);
}

std::optional<Id> first_broken_entry(std::span<const AuditEntry> entries) {
  std::string expected_prev(audit_genesis_hash());
  for (const AuditEntry& entry : entries) {
    if (entry.prev_hash != expected_prev ||
        entry.hash != audit_hash(entry.prev_hash, entry.time, entry.event)) {
      return entry.id;
    }
    expected_prev = entry.hash;
  }
  return std::nullopt;
}

} // namespace list
