#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <list/mime/gmime_codec.hpp>
#include <list/mime/init.hpp>
#include <list/notices.hpp>
#include <list/policy.hpp>
#include <list/settings.hpp>
#include <map>
#include <server/bounce_notifier.hpp>

namespace server {

namespace {

constexpr std::int64_t k_day = 24 * 60 * 60;

/// ISO 8601 UTC to the second, as the store writes times.
std::string iso8601(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32] = {};
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

} // namespace

QueueBounceNotifier::QueueBounceNotifier(const Config& config, list::Store& store,
                                         std::function<void()> queued)
    : m_config(config), m_store(store), m_queued(std::move(queued)), m_crypto(config) {
  list::initialize_mime();
  m_codec = list::make_gmime_codec();
}

/// The list's facts and this notifier's PostCrypto for it (m_mutex held).
util::Result<QueueBounceNotifier::ListMail> QueueBounceNotifier::list_mail(list::Id list) {
  auto lists = m_store.all_lists();
  if (!lists) {
    return tl::unexpected(lists.error());
  }
  const auto found = std::find_if(lists->begin(), lists->end(),
                                  [&](const list::ListRecord& one) { return one.id == list; });
  if (found == lists->end()) {
    return util::permanent(fmt::format("no list {}", list));
  }
  ListMail mail;
  mail.facts.record = *found;
  mail.facts.base_url = m_config.text("web", "base_url");
  auto settings = m_store.list_settings(list);
  if (!settings) {
    return tl::unexpected(settings.error());
  }
  mail.facts.settings = list::typed_settings(*settings);
  auto secret = m_store.list_secret(list);
  if (!secret) {
    return tl::unexpected(secret.error());
  }
  mail.facts.secret = std::move(*secret);
  auto key = m_crypto.public_key(mail.facts.record);
  if (!key) {
    return tl::unexpected(key.error());
  }
  mail.facts.public_key = std::move(*key);
  auto crypto = m_crypto.post_crypto(mail.facts.record);
  if (!crypto) {
    return tl::unexpected(crypto.error());
  }
  mail.crypto = *crypto;
  return mail;
}

util::Result<void>
QueueBounceNotifier::enqueue(const std::vector<list::OutboundMessage>& messages) {
  if (messages.empty()) {
    return {};
  }
  if (auto queued = m_store.enqueue_outbound(messages); !queued) {
    return queued;
  }
  if (m_queued) {
    m_queued();
  }
  return {};
}

util::Result<void> QueueBounceNotifier::to_admins(const ListMail& mail,
                                                  const list::AdminMail& what) {
  auto members = m_store.members(mail.facts.record.id);
  if (!members) {
    return tl::unexpected(members.error());
  }
  auto built = list::admin_mail(*m_codec, *mail.crypto, mail.facts, *members, what);
  if (!built) {
    return tl::unexpected(built.error());
  }
  return enqueue(*built);
}

util::Result<void> QueueBounceNotifier::warn_member(const list::MemberRecord& member, int number,
                                                    int total) {
  std::lock_guard lock(m_mutex);
  auto mail = list_mail(member.list_id);
  if (!mail) {
    return tl::unexpected(mail.error());
  }
  const std::string& address = mail->facts.record.address;
  const std::string subject = fmt::format("Delivery from {} to you is disabled", address);
  const std::string text = list::bounce_warning_text(address, number, total);
  // Encrypted to the member's key; a member without one gets it in plain text
  // (it says nothing of the list's posts).
  auto built = list::notice_message(*m_codec, *mail->crypto, mail->facts,
                                    list::NoticeText{"-owner", member.email, subject, "", text},
                                    member.fingerprint, list::NoticeSigning::list_key,
                                    list::NoticeKind::generated);
  if (!built && !member.fingerprint.empty()) {
    built = list::notice_message(*m_codec, *mail->crypto, mail->facts,
                                 list::NoticeText{"-owner", member.email, subject, "", text}, "",
                                 list::NoticeSigning::list_key, list::NoticeKind::generated);
  }
  if (!built) {
    return tl::unexpected(built.error());
  }
  // From bare -bounces@: a bounce of the warning goes to the owners.
  return enqueue({
      list::OutboundMessage{member.list_id, std::nullopt, member.id,
                            list::special_address(address, "-bounces"), member.email,
                            std::move(*built)}
  });
}

util::Result<void> QueueBounceNotifier::tell_admins(list::Id list, const list::MemberRecord& member,
                                                    std::string_view event) {
  std::lock_guard lock(m_mutex);
  auto mail = list_mail(list);
  if (!mail) {
    return tl::unexpected(mail.error());
  }
  const std::string& address = mail->facts.record.address;
  list::AdminMail what;
  what.subject = event == "removed"
                     ? fmt::format("{} removed from {}", member.email, address)
                     : fmt::format("Delivery to {} disabled on {}", member.email, address);
  what.note = list::bounce_admin_text(address, member.email, event);
  what.envelope_from = list::special_address(address, "-bounces");
  return to_admins(*mail, what);
}

util::Result<void> QueueBounceNotifier::forward_to_owners(list::Id list,
                                                          std::string_view raw_message) {
  std::lock_guard lock(m_mutex);
  auto mail = list_mail(list);
  if (!mail) {
    return tl::unexpected(mail.error());
  }
  const std::string& address = mail->facts.record.address;
  list::AdminMail what;
  what.subject = fmt::format("Unmatched bounce for {}", address);
  what.note = list::bounce_forward_note(address);
  what.attached = raw_message;
  // The null sender: if this bounces too, nothing comes back (no loop).
  what.envelope_from.clear();
  return to_admins(*mail, what);
}

util::Result<std::size_t> QueueBounceNotifier::send_failure_summaries(std::int64_t now,
                                                                      std::int64_t window) {
  std::lock_guard lock(m_mutex);
  auto failed = m_store.failed_since(iso8601(now - window));
  if (!failed) {
    return tl::unexpected(failed.error());
  }
  std::map<list::Id, std::vector<list::FailedCopy>> by_list;
  for (list::FailedCopy& copy : *failed) {
    if (copy.list_id) {
      by_list[*copy.list_id].push_back(std::move(copy));
    }
  }
  std::size_t sent = 0;
  for (const auto& [list, failures] : by_list) {
    auto mail = list_mail(list);
    if (!mail) {
      return tl::unexpected(mail.error());
    }
    const std::string& address = mail->facts.record.address;
    list::AdminMail what;
    what.subject = fmt::format("Failed deliveries on {}", address);
    what.note = list::failed_deliveries_text(address, failures);
    what.envelope_from = list::special_address(address, "-bounces");
    auto members = m_store.members(list);
    if (!members) {
      return tl::unexpected(members.error());
    }
    auto built = list::admin_mail(*m_codec, *mail->crypto, mail->facts, *members, what);
    if (!built) {
      return tl::unexpected(built.error());
    }
    // The slot last: a summary that could not be built is tried next tick.
    auto slot = m_store.take_notice_slot(fmt::format("failed-summary:{}", list), now, k_day);
    if (!slot) {
      return tl::unexpected(slot.error());
    }
    if (!*slot) {
      continue;
    }
    if (auto queued = enqueue(*built); !queued) {
      return tl::unexpected(queued.error());
    }
    ++sent;
  }
  return sent;
}

} // namespace server
