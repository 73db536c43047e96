#include <fmt/format.h>
#include <list/address.hpp>
#include <list/expand.hpp>
#include <list/loop_check.hpp>
#include <list/member_token.hpp>
#include <list/policy.hpp>
#include <util/random.hpp>

namespace list {

namespace {
constexpr std::string_view k_mapped_prefix = "ll.";
constexpr std::string_view k_placeholder = "...";
} // namespace

std::string via_name(const Mailbox& sender, std::string_view list_name) {
  std::string who =
      sender.display_name.empty() ? std::string(local_part(sender.address)) : sender.display_name;
  if (who.empty()) {
    return std::string(list_name);
  }
  return fmt::format("{} via {}", who, list_name);
}

std::string prefixed_subject(std::string_view prefix, std::string_view subject) {
  if (prefix.empty()) {
    return std::string(subject);
  }
  if (subject.find(prefix) != std::string_view::npos) {
    return std::string(subject);
  }
  return subject.empty() ? std::string(prefix) : fmt::format("{} {}", prefix, subject);
}

std::string fresh_message_id(std::string_view list_address) {
  return fmt::format("{}{}@{}", k_mapped_prefix, util::random_token(16), domain_part(list_address));
}

std::string map_message_id(const ListFacts& list, std::string_view original) {
  const std::string_view domain = domain_part(list.record.address);
  if (original.empty()) {
    return {};
  }
  if (original.starts_with(k_mapped_prefix) && same_address(domain_part(original), domain)) {
    return std::string(original);
  }
  return fmt::format(
      "{}{}@{}", k_mapped_prefix,
      keyed_hash_hex(list.secret, fmt::format("message-id:{}", original)).substr(0, 32), domain);
}

std::optional<Mailbox> reply_to_of(const ListFacts& list, const Mailbox& sender) {
  switch (list.settings.reply_to) {
  case ReplyTo::none:
    return std::nullopt;
  case ReplyTo::sender:
    // A From that is no usable address (hostile, or garbled by a client)
    // must not stop the post: replies then go to the list.
    if (auto address = normalise_address(sender.address); address) {
      return Mailbox{std::move(*address), sender.display_name};
    }
    break;
  case ReplyTo::list:
    break;
  }
  return Mailbox{list.record.address, list.record.name};
}

MessageHeaders protected_headers(const ListFacts& list, const OpenedPost& post,
                                 std::string_view message_id, std::string_view date) {
  MessageHeaders headers;
  headers.from = Mailbox{list.record.address, via_name(post.from, list.record.name)};
  headers.reply_to = reply_to_of(list, post.from);
  headers.to = {
      Mailbox{list.record.address, list.record.name}
  };
  headers.date = std::string(date);
  headers.message_id = std::string(message_id);
  headers.subject = prefixed_subject(list.settings.subject_prefix, post.subject);
  const bool keep = list.settings.keep_message_id;
  auto map = [&](const std::string& id) { return keep ? id : map_message_id(list, id); };
  headers.in_reply_to = map(post.in_reply_to);
  for (const std::string& reference : post.references) {
    headers.references.push_back(map(reference));
  }
  return headers;
}

std::string sender_note(const ListFacts& list, const OpenedPost& post) {
  std::string note = fmt::format("Posted to {} by {}{}.\n", list.record.address,
                                 post.from.display_name.empty() ? "" : post.from.display_name + " ",
                                 "<" + post.from.address + ">");
  if (post.signed_by.empty()) {
    note += "It was not signed.\n";
  } else {
    note += fmt::format("It was signed by key {}{}.\n", post.signed_by,
                        post.signed_by_member ? ", the key of a member of this list"
                                              : ", which is not a member's key");
  }
  note += post.encrypted ? "It arrived encrypted to the list's key.\n"
                         : "It arrived unencrypted: others may have read it on the way.\n";
  return note;
}

std::string unsubscribe_url(const ListFacts& list, Id member) {
  std::string base = list.base_url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return fmt::format("{}/unsubscribe/{}/{}", base, list_id_of(list.record.address),
                     unsubscribe_token(list.secret, member));
}

std::string verp_address(std::string_view list_address, std::string_view tag) {
  return fmt::format("{}-bounces+{}@{}", local_part(list_address), tag, domain_part(list_address));
}

namespace {

ListHeaders list_headers(const ListFacts& list) {
  ListHeaders headers;
  const std::string& address = list.record.address;
  headers.id = list_id_of(address);
  headers.name = list.record.name;
  headers.post = list.settings.posting == Posting::announce ? "" : "mailto:" + address;
  headers.help = fmt::format("mailto:{}?subject=help", special_address(address, "-request"));
  headers.owner = "mailto:" + special_address(address, "-owner");
  return headers;
}

KeyHeaders key_headers(const ListFacts& list) {
  KeyHeaders keys;
  keys.fingerprint = list.record.fingerprint;
  keys.autocrypt_address = list.record.address;
  keys.autocrypt_key = list.public_key;
  if (keys.autocrypt_key.empty()) {
    keys.autocrypt_address.clear();
  }
  return keys;
}

} // namespace

OutgoingHeaders member_headers(const ListFacts& list, const MessageHeaders& inner,
                               const MemberRecord& member, OuterSubject subject) {
  OutgoingHeaders headers;
  headers.message = inner;
  headers.message.to = {
      Mailbox{member.email, ""}
  };
  if (subject == OuterSubject::placeholder) {
    headers.message.subject = prefixed_subject(list.settings.subject_prefix, k_placeholder);
  }
  headers.list = list_headers(list);
  headers.list.unsubscribe = {unsubscribe_url(list, member.id),
                              "mailto:" + special_address(list.record.address, "-leave")};
  headers.list.one_click_unsubscribe = true;
  headers.keys = key_headers(list);
  headers.precedence = "list";
  return headers;
}

OutgoingHeaders notice_headers(const ListFacts& list, std::string_view from_suffix,
                               std::string_view to, std::string_view subject,
                               std::string_view in_reply_to) {
  OutgoingHeaders headers;
  headers.message.from =
      Mailbox{special_address(list.record.address, from_suffix), list.record.name};
  headers.message.to = {
      Mailbox{std::string(to), ""}
  };
  headers.message.message_id = fresh_message_id(list.record.address);
  headers.message.subject = std::string(subject);
  headers.message.in_reply_to = std::string(in_reply_to);
  headers.list.id = list_id_of(list.record.address);
  headers.list.name = list.record.name;
  headers.keys = key_headers(list);
  headers.precedence = "";
  headers.auto_submitted = "auto-replied";
  return headers;
}

} // namespace list
