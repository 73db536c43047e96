#include <list/notice_mail.hpp>
#include <list/policy.hpp>

namespace list {

namespace {

const char* auto_submitted(NoticeKind kind) {
  switch (kind) {
  case NoticeKind::reply:
    return "auto-replied";
  case NoticeKind::generated:
    return "auto-generated";
  case NoticeKind::forward:
    return "";
  }
  return "auto-replied";
}

/// `entity` signed by the list key (multipart/signed), or as it is.
util::Result<std::string> maybe_signed(MessageCodec& codec, PostCrypto& crypto, std::string entity,
                                       NoticeSigning signing) {
  if (signing == NoticeSigning::none) {
    return entity;
  }
  std::string micalg;
  auto signature = crypto.sign_detached(entity, micalg);
  if (!signature) {
    return tl::unexpected(signature.error());
  }
  return codec.build_signed_entity(entity, *signature, micalg);
}

} // namespace

util::Result<std::string> notice_message(MessageCodec& codec, PostCrypto& crypto,
                                         const ListFacts& facts, const NoticeText& notice,
                                         std::string_view fingerprint, NoticeSigning signing,
                                         NoticeKind kind) {
  OutgoingHeaders headers =
      notice_headers(facts, notice.from_suffix, notice.to, notice.subject, notice.in_reply_to);
  headers.auto_submitted = auto_submitted(kind);
  if (fingerprint.empty()) {
    return codec.build_text_message(headers, notice.text);
  }
  headers.message.subject = "...";
  MessageHeaders inner = headers.message;
  inner.subject = std::string(notice.subject);
  auto entity = codec.build_inner_entity(inner, notice.text, codec.build_text_entity(""));
  if (!entity) {
    return entity;
  }
  auto body = maybe_signed(codec, crypto, std::move(*entity), signing);
  if (!body) {
    return body;
  }
  auto sealed = crypto.encrypt_to(*body, fingerprint);
  if (!sealed) {
    return tl::unexpected(sealed.error());
  }
  return codec.build_encrypted_message(headers, *sealed);
}

util::Result<std::vector<OutboundMessage>> admin_mail(MessageCodec& codec, PostCrypto& crypto,
                                                      const ListFacts& facts,
                                                      const std::vector<MemberRecord>& members,
                                                      const AdminMail& mail) {
  const std::string& address = facts.record.address;
  std::string content;
  if (mail.attached.empty()) {
    content = codec.build_text_entity("");
  } else {
    content = "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n";
    content += mail.attached;
  }
  MessageHeaders inner;
  inner.from = Mailbox{special_address(address, "-owner"), facts.record.name};
  inner.to = {
      Mailbox{special_address(address, "-owner"), ""}
  };
  inner.message_id = fresh_message_id(address);
  inner.subject = mail.subject;
  auto entity = codec.build_inner_entity(inner, mail.note, content);
  if (!entity) {
    return tl::unexpected(entity.error());
  }
  auto body = maybe_signed(codec, crypto, std::move(*entity), mail.signing);
  if (!body) {
    return tl::unexpected(body.error());
  }
  std::vector<OutboundMessage> out;
  for (const MemberRecord& admin : members) {
    if (admin.role != Role::admin || admin.state != MemberState::active ||
        admin.fingerprint.empty()) {
      continue;
    }
    auto sealed = crypto.encrypt_to(*body, admin.fingerprint);
    if (!sealed) {
      continue;
    }
    OutgoingHeaders headers = notice_headers(facts, "-owner", admin.email, "...", "");
    headers.auto_submitted = auto_submitted(mail.kind);
    headers.message.message_id = inner.message_id;
    auto built = codec.build_encrypted_message(headers, *sealed);
    if (built) {
      out.push_back(OutboundMessage{facts.record.id, mail.inbound_id, admin.id, mail.envelope_from,
                                    admin.email, std::move(*built)});
    }
  }
  return out;
}

} // namespace list
