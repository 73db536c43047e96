// The daemon's list::BounceNotifier: encrypted bounce warnings to members,
// notices to a list's admins, forwards of unattributable bounces to them,
// and the daily summary of failed deliveries, each built with the list's key
// (list/notice_mail) and put on the outbound queue. Errors are util::Results;
// thread-safe (calls are serialized: bounces are rare).
#pragma once

#include <cstdint>
#include <functional>
#include <list/bounce.hpp>
#include <list/notice_mail.hpp>
#include <list/store.hpp>
#include <memory>
#include <mutex>
#include <server/config.hpp>
#include <server/list_crypto.hpp>

namespace server {

class QueueBounceNotifier final : public list::BounceNotifier {
public:
  /// `queued` runs after messages were queued (to wake delivery); may be empty.
  QueueBounceNotifier(const Config& config, list::Store& store, std::function<void()> queued = {});

  util::Result<void> warn_member(const list::MemberRecord& member, int number, int total) override;
  util::Result<void> tell_admins(list::Id list, const list::MemberRecord& member,
                                 std::string_view event) override;
  util::Result<void> forward_to_owners(list::Id list, std::string_view raw_message) override;

  /// One notice per list with failed copies since now - window, to its
  /// admins, at most once a day per list (a notice slot); returns how many.
  util::Result<std::size_t> send_failure_summaries(std::int64_t now, std::int64_t window);

private:
  struct ListMail {
    list::ListFacts facts;
    list::PostCrypto* crypto = nullptr;
  };
  util::Result<ListMail> list_mail(list::Id list);
  util::Result<void> to_admins(const ListMail& mail, const list::AdminMail& what);
  util::Result<void> enqueue(const std::vector<list::OutboundMessage>& messages);

  const Config& m_config;
  list::Store& m_store;
  std::function<void()> m_queued;
  std::mutex m_mutex; // guards everything below
  std::unique_ptr<list::MessageCodec> m_codec;
  ListCrypto m_crypto;
};

} // namespace server
