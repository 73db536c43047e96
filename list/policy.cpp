#include <fmt/format.h>
#include <list/address.hpp>
#include <list/policy.hpp>

namespace list {

std::string special_address(std::string_view list_address, std::string_view suffix) {
  return fmt::format("{}{}@{}", local_part(list_address), suffix, domain_part(list_address));
}

namespace {

Decision reject(std::string code, std::string reason) {
  return Decision{Verdict::reject, std::move(code), std::move(reason)};
}

bool is_moderator(const std::optional<Role>& role) {
  return role && (*role == Role::moderator || *role == Role::admin);
}

} // namespace

Decision decide(const PolicyInput& input) {
  const ListSettings& settings = input.settings;
  const std::uint64_t limit =
      settings.max_message_size != 0 ? settings.max_message_size : input.server_max_size;
  // Size first: it is the one check that does not depend on who sent it.
  if (limit != 0 && input.size > limit) {
    return reject("too-big", fmt::format("your post is {} bytes; this list takes posts of at most "
                                         "{} bytes",
                                         input.size, limit));
  }
  if (settings.require_encryption && !input.encrypted) {
    return reject("not-encrypted",
                  fmt::format("posts to this list must be encrypted to its key: send mail to {} "
                              "to get it",
                              special_address(input.list_address, "-sendkey")));
  }
  if (input.signer == Signer::bad) {
    return reject("bad-signature", "the signature on your post does not verify: it was changed "
                                   "after signing, or the key is expired or revoked");
  }
  if (settings.require_signature && input.signer != Signer::member) {
    return reject("not-signed", "posts to this list must be signed with the key of a member "
                                "(the key the list has for you)");
  }
  switch (settings.posting) {
  case Posting::open:
    break;
  case Posting::members:
    if (!input.sender_role) {
      return reject("not-member", "only members of this list may post to it");
    }
    break;
  case Posting::moderated:
    if (!input.sender_role) {
      return reject("not-member", "only members of this list may post to it");
    }
    if (!is_moderator(input.sender_role) && !input.approved) {
      return Decision{Verdict::hold, "moderated",
                      "posts to this list are reviewed by a moderator before they go out"};
    }
    break;
  case Posting::announce:
    if (!is_moderator(input.sender_role)) {
      return reject("announce-only",
                    "this list is announce-only: only its moderators and admins may post to it");
    }
    break;
  }
  return Decision{Verdict::distribute, "ok", ""};
}

const char* to_string(Verdict verdict) {
  switch (verdict) {
  case Verdict::distribute:
    return "distribute";
  case Verdict::hold:
    return "hold";
  case Verdict::reject:
    return "reject";
  }
  return "reject";
}

} // namespace list
