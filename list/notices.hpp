// The texts the list sends on its own: replies to refused posts, the
// undecryptable-post reply, the keyless-member notice, -request help and the
// -sendkey answer. Pure functions of their inputs; they never quote a post's
// subject or body.
#pragma once

#include <list/delivery_records.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace list {

/// "Your message to crew@x was not distributed: REASON." and what to do.
std::string rejection_text(std::string_view list_address, std::string_view reason);

/// Names the list key's fingerprint and the -sendkey address.
std::string undecryptable_text(std::string_view list_address, std::string_view fingerprint);

/// "You missed a post because your key is unusable; here is how to fix it."
std::string keyless_text(std::string_view list_address, std::string_view why);

/// The -request commands.
std::string help_text(std::string_view list_address);

/// The -sendkey answer: fingerprint and armored key.
std::string sendkey_text(std::string_view list_address, std::string_view fingerprint,
                         std::string_view armored_key);

/// The note heading a forward of mail to -owner.
std::string owner_note(std::string_view list_address, std::string_view sender);

/// The note heading a forward of mail to postmaster@`domain` to the admins
/// of the lists there.
std::string postmaster_note(std::string_view domain, std::string_view sender);

/// Bounce warning `number` of `total` to a member whose delivery is disabled.
std::string bounce_warning_text(std::string_view list_address, int number, int total);

/// To the admins: delivery to `member` was "disabled" or the member "removed".
std::string bounce_admin_text(std::string_view list_address, std::string_view member,
                              std::string_view event);

/// The note heading a bounce nobody could be found for, forwarded to the admins.
std::string bounce_forward_note(std::string_view list_address);

/// The daily summary of copies that could not be delivered: count,
/// recipients and the last replies (at most `limit` lines, then "and N more").
std::string failed_deliveries_text(std::string_view list_address,
                                   const std::vector<FailedCopy>& failures, std::size_t limit = 50);

} // namespace list
