// Mail the list writes on its own: a notice or reply to one person (encrypted
// to their key when it has one, optionally signed by the list first) and
// encrypted forwards and notices to the list's admins. Shared by the pipeline
// and server/'s bounce notifier; errors are util::Results.
#pragma once

#include <list/expand.hpp>
#include <list/message_codec.hpp>
#include <list/openpgp.hpp>
#include <list/post_records.hpp>
#include <list/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace list {

/// What one notice says and to whom; the subject travels inside the
/// encryption when there is one (the outer subject is then "...").
struct NoticeText {
  std::string_view from_suffix; // "-request", "-owner", "-bounces"
  std::string_view to;
  std::string_view subject;
  std::string_view in_reply_to;
  std::string_view text;
};

/// Sign-then-encrypt (RFC 3156 6.1) with the list key, or encrypt only.
enum class NoticeSigning { none, list_key };

/// RFC 3834 Auto-Submitted: auto-replied (a reply to mail), auto-generated
/// (the list's own notices: bounce warnings, summaries), or none (a forward
/// of someone's mail to the admins, who may answer it).
enum class NoticeKind { reply, generated, forward };

/// The whole message: encrypted to `fingerprint`, or plain text when it is
/// empty.
util::Result<std::string> notice_message(MessageCodec& codec, PostCrypto& crypto,
                                         const ListFacts& facts, const NoticeText& notice,
                                         std::string_view fingerprint, NoticeSigning signing,
                                         NoticeKind kind = NoticeKind::reply);

/// What goes to each admin: `note` heads the body; `attached`, if not empty,
/// is a mail as it arrived, attached whole (message/rfc822) so admins see
/// exactly what came.
struct AdminMail {
  std::string subject;
  std::string note;
  std::string_view attached;
  std::string envelope_from; // empty: the null sender (nothing bounces back)
  std::optional<Id> inbound_id;
  NoticeKind kind = NoticeKind::generated;
  NoticeSigning signing = NoticeSigning::list_key;
};

/// One copy per active admin of `members` with a key, each encrypted to
/// that admin alone, all under one Message-ID. Admins whose key cannot be
/// used are skipped; the result may be empty.
util::Result<std::vector<OutboundMessage>> admin_mail(MessageCodec& codec, PostCrypto& crypto,
                                                      const ListFacts& facts,
                                                      const std::vector<MemberRecord>& members,
                                                      const AdminMail& mail);

} // namespace list
