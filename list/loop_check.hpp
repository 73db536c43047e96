// Loop and automated-mail detection for mail to a list's addresses: this
// list's own List-Id or X-Loop, Precedence bulk|junk|list, a null sender to
// the posting address, DSNs and auto-replies. Pure; the caller logs the reason.
#pragma once

#include <list/post.hpp>
#include <optional>
#include <string_view>

namespace list {

enum class LoopReason { own_list_id, own_x_loop, precedence, null_sender, dsn, auto_reply };

struct LoopInput {
  const PostHeaders* headers = nullptr;
  Automated automated = Automated::no;
  std::string_view mail_from;    // envelope sender; empty: null sender <>
  std::string_view list_address; // crew@lists.example.org
};

/// Why this mail must not be distributed, or nullopt if it may be.
std::optional<LoopReason> loop_reason(const LoopInput& input);

/// "crew.lists.example.org": the List-Id identifier of a list address (RFC 2919).
std::string list_id_of(std::string_view list_address);

/// The reason as a log value: "own-list-id", "precedence", ...
const char* to_string(LoopReason reason);

} // namespace list
