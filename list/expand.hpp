// Building the headers of what the list sends, from scratch (never by editing
// the original): the protected headers inside the encryption, each member's
// outer headers (DMARC-safe From, List-* with the member's one-click
// unsubscribe URL, OpenPGP and Autocrypt), the note telling the member who
// sent the post and how, and Message-ID mapping. Pure; no errors.
#pragma once

#include <cstdint>
#include <list/post.hpp>
#include <list/settings.hpp>
#include <list/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace list {

/// What the pipeline knows about a list while expanding a post to it.
struct ListFacts {
  ListRecord record;
  ListSettings settings;
  std::string public_key; // armored list key (Autocrypt)
  std::string secret;     // Store::list_secret: tokens, mapped Message-IDs
  std::string base_url;   // [web] base_url, no trailing slash needed
};

/// What opening a post found, for the note and the headers.
struct OpenedPost {
  Mailbox from;            // the outer From
  std::string subject;     // the real subject (protected header if any)
  std::string message_id;  // without brackets; may be empty
  std::string in_reply_to; // without brackets
  std::vector<std::string> references;
  bool encrypted = false;
  std::string signed_by; // fingerprint of a good signature; empty: none
  bool signed_by_member = false;
  std::string content; // the MIME entity to redistribute
};

/// "Alice via Crew": the display name of every copy's From (the address is
/// the list's, so DMARC alignment holds).
std::string via_name(const Mailbox& sender, std::string_view list_name);

/// "[Crew] subject": the prefix once, even on replies that already carry it.
std::string prefixed_subject(std::string_view prefix, std::string_view subject);

/// A stable Message-ID in the list's domain for `original`: the same for
/// every copy and every later reference to it, so threads survive; IDs the
/// list made already are kept.
std::string map_message_id(const ListFacts& list, std::string_view original);

/// The Reply-To of every copy per the list's reply_to setting: the list, the
/// post's sender (the list when the From address is unusable), or none.
std::optional<Mailbox> reply_to_of(const ListFacts& list, const Mailbox& sender);

/// The headers inside the encryption (protected-headers="v1"), once per post;
/// the outer headers of each copy repeat its From and Reply-To.
MessageHeaders protected_headers(const ListFacts& list, const OpenedPost& post,
                                 std::string_view message_id, std::string_view date);

/// The note: for the member's eyes only, who sent it, signed by which key,
/// arrived encrypted or not.
std::string sender_note(const ListFacts& list, const OpenedPost& post);

/// One member's outer headers; the outer subject is a placeholder when the
/// body is encrypted (the real one travels inside).
enum class OuterSubject { placeholder, real };
OutgoingHeaders member_headers(const ListFacts& list, const MessageHeaders& inner,
                               const MemberRecord& member, OuterSubject subject);

/// The one-click unsubscribe URL of `member`.
std::string unsubscribe_url(const ListFacts& list, Id member);

/// crew-bounces+TAG@domain: the VERP envelope sender of a member's copy.
std::string verp_address(std::string_view list_address, std::string_view tag);

/// Headers for a notice or reply from the list (auto-replied, no List-Post).
OutgoingHeaders notice_headers(const ListFacts& list, std::string_view from_suffix,
                               std::string_view to, std::string_view subject,
                               std::string_view in_reply_to);

/// A fresh Message-ID in the list's domain (random).
std::string fresh_message_id(std::string_view list_address);

} // namespace list
