// The posting policy of a list as a pure decision: from the list's settings
// and what opening the post found, distribute, hold for moderation or
// reject, with the reason in words the sender reads. No I/O, no errors.
#pragma once

#include <cstdint>
#include <list/settings.hpp>
#include <list/types.hpp>
#include <optional>
#include <string>

namespace list {

/// Who signed the post, as far as this list is concerned.
enum class Signer {
  none,       // not signed
  member,     // a good signature by a key bound to a member of this list
  non_member, // a good signature by some other key (or one we do not have)
  bad,        // a signature that does not verify
};

struct PolicyInput {
  ListSettings settings;
  std::uint64_t server_max_size = 0; // [smtp] max_message_size
  std::uint64_t size = 0;            // bytes as it arrived
  bool encrypted = false;            // arrived encrypted to the list key
  Signer signer = Signer::none;
  /// The member the post comes from: the signing member if signed by one,
  /// else the member whose address is in From; nullopt: not a member.
  std::optional<Role> sender_role;
  bool approved = false; // a moderator approved it already
  std::string list_address;
};

enum class Verdict { distribute, hold, reject };

struct Decision {
  Verdict verdict = Verdict::distribute;
  std::string code;   // short, for logs: "not-member", "moderated", ...
  std::string reason; // for the sender (reject) or the moderator (hold)
};

Decision decide(const PolicyInput& input);

/// "crew-sendkey@lists.example.org" for "crew@lists.example.org".
std::string special_address(std::string_view list_address, std::string_view suffix);

const char* to_string(Verdict verdict);

} // namespace list
