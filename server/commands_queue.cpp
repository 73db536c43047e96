// `lifeline queue show|retry|purge`: the outbound queue for operators.
#include <charconv>
#include <chrono>
#include <ctime>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <ostream>
#include <server/command.hpp>
#include <server/context.hpp>

namespace server {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(std::int64_t when) {
  const std::time_t t = static_cast<std::time_t>(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc);
}

list::Id parse_id(const std::string& text) {
  list::Id id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    throw UsageError(fmt::format("'{}' is not a queue id (see `lifeline queue show`)", text));
  }
  return id;
}

void queue_show(Context& context, const Invocation&) {
  const auto summary = value_or_refuse(context.store().queue_summary(10));
  auto& out = context.out();
  out << fmt::format("queued {}  delivered {}  failed {}\n", summary.queued, summary.delivered,
                     summary.failed);
  if (!summary.oldest_queued.empty()) {
    out << fmt::format("oldest queued: {}\n", summary.oldest_queued);
  }
  if (!summary.next_attempts.empty()) {
    out << "next attempts:\n";
    const std::int64_t now = unix_now();
    for (const auto& next : summary.next_attempts) {
      out << fmt::format("  {:>8}  {}  {}  attempts={}\n", next.id,
                         next.next_attempt_at <= now ? std::string("due now")
                                                     : iso(next.next_attempt_at),
                         next.recipient, next.attempts);
    }
  }
  if (!summary.errors.empty()) {
    out << "last errors by relay reply:\n";
    for (const auto& error : summary.errors) {
      out << fmt::format("  {:>6}  {:<8} {} {} {}\n", error.count, error.state,
                         error.code == 0 ? std::string("local") : std::to_string(error.code),
                         error.enhanced.empty() ? "-" : error.enhanced, error.reply);
    }
  }
}

void queue_retry(Context& context, const Invocation& invocation) {
  std::optional<list::Id> id;
  if (!invocation.args.empty()) {
    id = parse_id(invocation.args[0]);
  }
  const auto count = value_or_refuse(context.store().retry_outbound(
      id, unix_now(), context.audit("queue.retry", id ? std::to_string(*id) : std::string("all"))));
  context.out() << fmt::format("{} cop{} due now\n", count, count == 1 ? "y" : "ies");
}

void queue_purge(Context& context, const Invocation& invocation) {
  const list::Id id = parse_id(invocation.args[0]);
  if (!invocation.flag("--yes")) {
    throw Refused(fmt::format("purging drops copy {} for good: add --yes", id));
  }
  value_or_refuse(
      context.store().purge_outbound(id, context.audit("queue.purge", std::to_string(id))));
  context.out() << fmt::format("purged {}\n", id);
}

// clang-format off
constexpr Command k_queue_commands[] = {
  {"queue show", "", "outbound queue: counts by state, oldest, next attempts, errors by relay reply", 0, 0, "", "", queue_show},
  {"queue retry", "[ID]", "make deferred copies (or copy ID, also a failed one) due now", 0, 1, "", "", queue_retry},
  {"queue purge", "ID --yes", "delete copy ID from the queue (audited)", 1, 1, "", "--yes", queue_purge},
};
// clang-format on

} // namespace

std::span<const Command> queue_commands() {
  return k_queue_commands;
}

} // namespace server
