#include <list/post_records.hpp>

namespace list {

const char* to_string(InboundState state) {
  switch (state) {
  case InboundState::fresh:
    return "new";
  case InboundState::processing:
    return "processing";
  case InboundState::done:
    return "done";
  case InboundState::held:
    return "held";
  case InboundState::rejected:
    return "rejected";
  case InboundState::bounce:
    return "bounce";
  }
  return "new";
}

const char* to_string(HeldDecision decision) {
  switch (decision) {
  case HeldDecision::none:
    return "none";
  case HeldDecision::approve:
    return "approve";
  case HeldDecision::reject:
    return "reject";
  }
  return "none";
}

} // namespace list
