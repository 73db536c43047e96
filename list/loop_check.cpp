#include <list/address.hpp>
#include <list/loop_check.hpp>

namespace list {

std::string list_id_of(std::string_view list_address) {
  std::string id = fold_case(list_address);
  if (const auto at = id.find('@'); at != std::string::npos) {
    id[at] = '.';
  }
  return id;
}

std::optional<LoopReason> loop_reason(const LoopInput& input) {
  const PostHeaders& headers = *input.headers;
  // Our own copies coming back (a member's forwarder, a misconfigured alias).
  if (!headers.list_id.empty() && fold_case(headers.list_id) == list_id_of(input.list_address)) {
    return LoopReason::own_list_id;
  }
  for (const std::string& loop : headers.x_loop) {
    if (same_address(loop, input.list_address)) {
      return LoopReason::own_x_loop;
    }
  }
  if (input.automated == Automated::delivery_status) {
    return LoopReason::dsn;
  }
  if (input.automated == Automated::auto_reply) {
    return LoopReason::auto_reply;
  }
  // RFC 3834 section 3.1.8 and common practice: bulk, junk and list mail is
  // automated; a list never redistributes it.
  if (headers.precedence == "bulk" || headers.precedence == "junk" ||
      headers.precedence == "list") {
    return LoopReason::precedence;
  }
  // RFC 5321 4.5.5: a null reverse path is a notification, never a post.
  if (input.mail_from.empty()) {
    return LoopReason::null_sender;
  }
  return std::nullopt;
}

const char* to_string(LoopReason reason) {
  switch (reason) {
  case LoopReason::own_list_id:
    return "own-list-id";
  case LoopReason::own_x_loop:
    return "own-x-loop";
  case LoopReason::precedence:
    return "precedence";
  case LoopReason::null_sender:
    return "null-sender";
  case LoopReason::dsn:
    return "dsn";
  case LoopReason::auto_reply:
    return "auto-reply";
  }
  return "loop";
}

} // namespace list
