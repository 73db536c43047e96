#include <fmt/format.h>
#include <list/notices.hpp>
#include <list/policy.hpp>

namespace list {

std::string rejection_text(std::string_view list_address, std::string_view reason) {
  return fmt::format("Your message to {} was not distributed: {}.\n\n"
                     "For help, send mail with the subject \"help\" to {}.\n",
                     list_address, reason, special_address(list_address, "-request"));
}

std::string undecryptable_text(std::string_view list_address, std::string_view fingerprint) {
  return fmt::format("Your message to {} could not be decrypted, so it was not distributed.\n\n"
                     "Posts must be encrypted to the list's key, fingerprint\n  {}\n"
                     "Send mail to {} to get the key.\n",
                     list_address, fingerprint, special_address(list_address, "-sendkey"));
}

std::string keyless_text(std::string_view list_address, std::string_view why) {
  return fmt::format("You missed a post to {} because your key is unusable ({}).\n\n"
                     "To fix it, send your current public key, signed, to {} with the command\n"
                     "\"key update\", or ask the list's admins ({}) to update it.\n"
                     "You get this notice at most once a day.\n",
                     list_address, why, special_address(list_address, "-request"),
                     special_address(list_address, "-owner"));
}

std::string help_text(std::string_view list_address) {
  return fmt::format("Commands for {}: send them to {} in the body of a mail\n"
                     "signed with your key and encrypted to the list's key, one per line.\n\n"
                     "  help         this text\n"
                     "  key update   replace your key with the public key attached to the mail\n"
                     "               (the mail must be signed with your current key)\n\n"
                     "The list's key: send any mail to {}.\n",
                     list_address, special_address(list_address, "-request"),
                     special_address(list_address, "-sendkey"));
}

std::string sendkey_text(std::string_view list_address, std::string_view fingerprint,
                         std::string_view armored_key) {
  return fmt::format("This is the OpenPGP key of {}, fingerprint\n  {}\n"
                     "Encrypt your posts to it.\n\n{}",
                     list_address, fingerprint, armored_key);
}

std::string owner_note(std::string_view list_address, std::string_view sender) {
  return fmt::format("Mail to {} from <{}>, forwarded to the list's admins.\n",
                     special_address(list_address, "-owner"), sender);
}

} // namespace list
