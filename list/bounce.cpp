#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <list/bounce.hpp>

namespace list {

namespace {

constexpr std::int64_t k_day = 86400;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower_copy(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

/// The lines of `text` with CRLF or LF ends.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return lines;
}

/// The body of the message/delivery-status part: from the blank line after
/// its headers to the next MIME boundary line. Reading the report as text is
/// enough: RFC 3464 fields are plain US-ASCII and never encoded in practice.
std::optional<std::vector<std::string_view>> delivery_status_lines(std::string_view message) {
  const auto lines = split_lines(message);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string line = lower_copy(lines[i]);
    if (!line.starts_with("content-type:") ||
        line.find("message/delivery-status") == std::string::npos) {
      continue;
    }
    std::size_t at = i + 1;
    while (at < lines.size() && !trim(lines[at]).empty()) {
      ++at; // the rest of the part's headers
    }
    std::vector<std::string_view> body;
    for (++at; at < lines.size() && !lines[at].starts_with("--"); ++at) {
      body.push_back(lines[at]);
    }
    return body;
  }
  return std::nullopt;
}

std::string_view after_type(std::string_view value) {
  // "rfc822; dave@example.net" and "smtp; 550 ...": drop the type.
  const auto semicolon = value.find(';');
  return trim(semicolon == std::string_view::npos ? value : value.substr(semicolon + 1));
}

} // namespace

std::optional<std::vector<DsnRecipient>> parse_dsn(std::string_view message) {
  auto lines = delivery_status_lines(message);
  if (!lines) {
    return std::nullopt;
  }
  // Unfold (RFC 5322 2.2.3), then read blocks separated by blank lines; the
  // first block holds the per-message fields.
  std::vector<std::vector<std::pair<std::string, std::string>>> blocks(1);
  for (std::string_view line : *lines) {
    if (trim(line).empty()) {
      if (!blocks.back().empty()) {
        blocks.emplace_back();
      }
      continue;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !blocks.back().empty()) {
      blocks.back().back().second += " " + std::string(trim(line));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    blocks.back().emplace_back(lower_copy(trim(line.substr(0, colon))),
                               std::string(trim(line.substr(colon + 1))));
  }
  std::vector<DsnRecipient> recipients;
  for (const auto& block : blocks) {
    DsnRecipient recipient;
    bool per_recipient = false;
    for (const auto& [name, value] : block) {
      if (name == "final-recipient") {
        recipient.final_recipient = std::string(after_type(value));
        per_recipient = true;
      } else if (name == "action") {
        recipient.action = lower_copy(trim(value));
        per_recipient = true;
      } else if (name == "status") {
        recipient.status = std::string(trim(value).substr(0, trim(value).find(' ')));
      } else if (name == "diagnostic-code") {
        recipient.diagnostic = std::string(after_type(value));
      }
    }
    if (per_recipient) {
      recipients.push_back(std::move(recipient));
    }
  }
  if (recipients.empty()) {
    return std::nullopt;
  }
  return recipients;
}

bool is_hard_bounce(const DsnRecipient& recipient) {
  return recipient.action == "failed" && recipient.status.starts_with("5.");
}

ScoreStep add_bounce(const BouncePolicy& policy, const BounceScore& score, std::int64_t now) {
  ScoreStep step{score};
  BounceScore& next = step.score;
  if (next.disabled_by_bounces) {
    return step;
  }
  if (next.last_bounce_at != 0 && now - next.last_bounce_at > policy.stale_after) {
    next.score = 0; // Mailman's bounce_info_stale_after
  }
  if (next.score > 0 && next.last_bounce_at / k_day == now / k_day) {
    return step; // at most one point a day, however many copies bounced
  }
  ++next.score;
  next.last_bounce_at = now;
  step.counted = true;
  if (next.score >= policy.threshold) {
    next.disabled_by_bounces = true;
    step.disable = true;
    if (policy.warnings > 0) {
      step.warn = true;
      next.warnings_sent = 1;
    }
    next.last_warning_at = now;
  }
  return step;
}

ScoreStep bounce_tick(const BouncePolicy& policy, const BounceScore& score, std::int64_t now) {
  ScoreStep step{score};
  BounceScore& next = step.score;
  if (!next.disabled_by_bounces || now - next.last_warning_at < policy.warning_interval) {
    return step;
  }
  if (next.warnings_sent < policy.warnings) {
    ++next.warnings_sent;
    next.last_warning_at = now;
    step.warn = true;
  } else {
    step.remove = true;
  }
  return step;
}

BounceProcessor::BounceProcessor(Store& store, BounceNotifier& notifier, BouncePolicy policy,
                                 Clock clock)
    : m_store(store), m_notifier(notifier), m_policy(policy), m_clock(std::move(clock)) {}

std::int64_t BounceProcessor::now() const {
  if (m_clock) {
    return m_clock();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<BounceVerdict> BounceProcessor::handle_bounce_mail(Id list, std::string_view tag,
                                                          std::string_view raw_message) {
  std::optional<MemberRecord> member;
  if (!tag.empty()) {
    auto found = m_store.find_member_by_verp_tag(list, tag);
    if (!found) {
      return tl::unexpected(found.error());
    }
    member = *found;
  }
  const auto dsn = parse_dsn(raw_message);
  if (!member || !dsn) {
    // Whose bounce, or what it says, is unknown: people decide, not a rule.
    if (auto sent = m_notifier.forward_to_owners(list, raw_message); !sent) {
      return tl::unexpected(sent.error());
    }
    return BounceVerdict::forwarded;
  }
  const auto hard = std::find_if(dsn->begin(), dsn->end(), is_hard_bounce);
  if (hard == dsn->end()) {
    return BounceVerdict::not_counted;
  }
  auto recorded = record_bounce(list, member->id, fmt::format("dsn status={}", hard->status));
  if (!recorded) {
    return tl::unexpected(recorded.error());
  }
  return BounceVerdict::counted;
}

Result<void> BounceProcessor::record_bounce(Id list, Id member, std::string_view evidence) {
  auto who = m_store.bouncing_member(member);
  if (!who) {
    return tl::unexpected(who.error());
  }
  if (!*who || (*who)->member.list_id != list) {
    return {}; // removed meanwhile: nothing to score
  }
  return apply(**who, add_bounce(m_policy, (*who)->bounce, now()), evidence);
}

Result<void> BounceProcessor::tick() {
  auto disabled = m_store.bounce_disabled_members();
  if (!disabled) {
    return tl::unexpected(disabled.error());
  }
  const std::int64_t at = now();
  for (const BouncingMember& who : *disabled) {
    const ScoreStep step = bounce_tick(m_policy, who.bounce, at);
    if (step.warn || step.remove) {
      if (auto applied = apply(who, step, "no delivery since disabled"); !applied) {
        return applied;
      }
    }
  }
  return {};
}

/// Stores the step with its audit entry first, then tells people: a crash
/// between the two loses a notice, never repeats a removal.
Result<void> BounceProcessor::apply(const BouncingMember& who, const ScoreStep& step,
                                    std::string_view evidence) {
  const MemberRecord& member = who.member;
  const std::string actor = "system:bounces";
  if (step.remove) {
    auto removed = m_store.remove_member(
        member.id, AuditEvent{actor, "bounce.remove", member.email,
                              fmt::format("warnings={}", step.score.warnings_sent)});
    if (!removed) {
      return removed;
    }
    return m_notifier.tell_admins(member.list_id, member, "removed");
  }
  if (!step.counted && !step.warn) {
    return {};
  }
  const char* action = step.disable ? "bounce.disable" : step.warn ? "bounce.warn" : "bounce.count";
  const MemberState state = step.score.disabled_by_bounces ? MemberState::disabled : member.state;
  auto saved =
      m_store.save_bounce_score(member.id, step.score, state,
                                AuditEvent{actor, action, member.email,
                                           fmt::format("score={} warnings={} {}", step.score.score,
                                                       step.score.warnings_sent, evidence)});
  if (!saved) {
    return saved;
  }
  if (step.disable) {
    if (auto told = m_notifier.tell_admins(member.list_id, member, "disabled"); !told) {
      return told;
    }
  }
  if (step.warn) {
    return m_notifier.warn_member(member, step.score.warnings_sent, m_policy.warnings);
  }
  return {};
}

} // namespace list
