// The texts the list sends on its own: replies to refused posts, the
// undecryptable-post reply, the keyless-member notice, -request help and the
// -sendkey answer. Pure functions of their inputs; they never quote a post's
// subject or body.
#pragma once

#include <string>
#include <string_view>

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

} // namespace list
