// `lifeline held ...`: list the posts a list holds for moderation, approve
// one (the pipeline distributes it) or reject one (the pipeline replies to
// the sender with the reason). The post itself stays as it arrived.
#include <charconv>
#include <fmt/format.h>
#include <ostream>
#include <server/command.hpp>
#include <server/context.hpp>

namespace server {

namespace {

list::Id parse_held_id(const std::string& text) {
  list::Id id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) {
    throw UsageError(fmt::format("{} is not a held post ID (see `lifeline held list LIST`)", text));
  }
  return id;
}

list::HeldPost find_held(Context& context, list::Id id) {
  auto held = value_or_refuse(context.store().find_held(id));
  if (!held) {
    throw Refused(fmt::format("there is no held post {} (see `lifeline held list LIST`)", id));
  }
  if (held->state != "held") {
    throw Refused(fmt::format("held post {} was already {}", id, held->state));
  }
  return *held;
}

void held_list(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  const auto held = value_or_refuse(context.store().held_posts(record.id));
  if (held.empty()) {
    context.out() << fmt::format("no held posts for {}\n", record.address);
    return;
  }
  context.out() << fmt::format("{:<6} {:<20} {:<10} {:<32} {}\n", "ID", "HELD AT", "SIZE", "SENDER",
                               "REASON");
  for (const list::HeldPost& post : held) {
    context.out() << fmt::format("{:<6} {:<20} {:<10} {:<32} {}\n", post.id, post.created_at,
                                 post.size, post.sender.empty() ? "<>" : post.sender, post.reason);
  }
}

void held_decide(Context& context, const Invocation& invocation, list::HeldDecision decision) {
  const list::Id id = parse_held_id(invocation.args[0]);
  const list::HeldPost held = find_held(context, id);
  const std::string reason = invocation.option("--reason").value_or("");
  const char* action = decision == list::HeldDecision::approve ? "held.approve" : "held.reject";
  value_or_refuse(context.store().decide_held(
      id, decision, reason,
      context.audit(action, fmt::format("held {} list {}", id, held.list_id),
                    fmt::format("queue_id={}", held.queue_id))));
  context.out() << fmt::format(
      "{} held post {}; the daemon {}\n",
      decision == list::HeldDecision::approve ? "approved" : "rejected", id,
      decision == list::HeldDecision::approve ? "distributes it" : "tells the sender");
}

void held_approve(Context& context, const Invocation& invocation) {
  held_decide(context, invocation, list::HeldDecision::approve);
}

void held_reject(Context& context, const Invocation& invocation) {
  held_decide(context, invocation, list::HeldDecision::reject);
}

// clang-format off
constexpr Command k_commands[] = {
  {"held list", "LIST", "posts held for moderation: ID, time, size, sender, reason", 1, 1, "", "", held_list},
  {"held approve", "ID", "distribute a held post", 1, 1, "", "", held_approve},
  {"held reject", "ID [--reason TEXT]", "refuse a held post; the sender is told why", 1, 1, "--reason", "", held_reject},
};
// clang-format on

} // namespace

std::span<const Command> held_commands() {
  return k_commands;
}

} // namespace server
