// Bounces: RFC 3464 delivery status notifications read as text (only the
// message/delivery-status part matters), Mailman-3-style scoring as pure
// functions, and BounceProcessor, which applies both to a list's members
// through the Store and tells people through a BounceNotifier. Errors are
// util::Results; a bounce is never answered to its sender.
#pragma once

#include <cstdint>
#include <functional>
#include <list/delivery_records.hpp>
#include <list/store.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace list {

/// One per-recipient block of a DSN (RFC 3464 2.3).
struct DsnRecipient {
  std::string final_recipient; // the address, without "rfc822;"
  std::string action;          // failed | delayed | delivered | relayed | expanded (lower case)
  std::string status;          // "5.1.1"
  std::string diagnostic;      // Diagnostic-Code, unfolded
};

/// The recipients of the message/delivery-status part, or nullopt when
/// `message` carries none (not a DSN, or one we cannot read).
std::optional<std::vector<DsnRecipient>> parse_dsn(std::string_view message);

/// RFC 3464: only "Action: failed" with a 5.x.x status is a hard bounce;
/// delayed, 4.x.x and the rest are not counted.
bool is_hard_bounce(const DsnRecipient& recipient);

struct BouncePolicy {
  int threshold = 5;                         // disable delivery at this score
  std::int64_t stale_after = 7 * 86400;      // reset when the last bounce is older
  int warnings = 3;                          // warnings to a disabled member
  std::int64_t warning_interval = 7 * 86400; // between warnings, and before removal
};

/// What a bounce or the passing of time does to a member.
struct ScoreStep {
  BounceScore score;
  bool counted = false; // the score went up (at most once a day)
  bool disable = false; // delivery is disabled now
  bool warn = false;    // send warning number score.warnings_sent
  bool remove = false;  // remove the member now
};

/// One hard bounce at `now`: +1 at most per UTC day, reset first when the
/// last one is older than stale_after, disable (with the first warning) at
/// the threshold. A member already disabled by bounces is not counted.
ScoreStep add_bounce(const BouncePolicy& policy, const BounceScore& score, std::int64_t now);

/// Time passing for a member disabled by bounces: the next warning once
/// warning_interval has passed since the last, and after the last warning
/// and one more interval, removal.
ScoreStep bounce_tick(const BouncePolicy& policy, const BounceScore& score, std::int64_t now);

/// Telling people; implemented in server/ with list/ crypto and the queue.
class BounceNotifier {
public:
  virtual ~BounceNotifier() = default;
  /// Warning `number` of `total` to the member, encrypted to their key:
  /// delivery to you is disabled because mail to you bounces.
  virtual Result<void> warn_member(const MemberRecord& member, int number, int total) = 0;
  /// To the list's admins: `event` is "disabled" or "removed".
  virtual Result<void> tell_admins(Id list, const MemberRecord& member, std::string_view event) = 0;
  /// A bounce nobody can be found for goes to the list's owners, never back
  /// to its sender.
  virtual Result<void> forward_to_owners(Id list, std::string_view raw_message) = 0;
};

enum class BounceVerdict {
  counted,     // a hard bounce of a member: scored
  not_counted, // a member's DSN that is not a hard bounce (delayed, 4.x.x)
  forwarded,   // unattributable or unreadable: sent to the owners
};

constexpr const char* to_string(BounceVerdict verdict) {
  switch (verdict) {
  case BounceVerdict::counted:
    return "counted";
  case BounceVerdict::not_counted:
    return "not-counted";
  case BounceVerdict::forwarded:
    return "forwarded";
  }
  return "forwarded";
}

class BounceProcessor {
public:
  using Clock = std::function<std::int64_t()>; // unix seconds

  /// Empty `clock`: the system clock. Thread-safe as far as the store and
  /// notifier are.
  BounceProcessor(Store& store, BounceNotifier& notifier, BouncePolicy policy, Clock clock = {});

  /// Mail to LIST-bounces+TAG@ (tag = TAG) or bare LIST-bounces@ (tag empty),
  /// as it arrived. The pipeline calls this and nothing else for such mail.
  Result<BounceVerdict> handle_bounce_mail(Id list, std::string_view tag,
                                           std::string_view raw_message);

  /// A hard bounce of member `member` of `list` (a DSN, or a 5xx from the
  /// relay at RCPT or after DATA: `evidence` says which, for the audit log).
  Result<void> record_bounce(Id list, Id member, std::string_view evidence);

  /// Warnings and removals that are due; call periodically (hourly is plenty).
  Result<void> tick();

private:
  std::int64_t now() const;
  Result<void> apply(const BouncingMember& who, const ScoreStep& step, std::string_view evidence);

  Store& m_store;
  BounceNotifier& m_notifier;
  BouncePolicy m_policy;
  Clock m_clock;
};

} // namespace list
