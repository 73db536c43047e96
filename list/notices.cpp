#include <algorithm>
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

std::string postmaster_note(std::string_view domain, std::string_view sender) {
  return fmt::format("Mail to postmaster@{} from <{}>, forwarded to the admins of every list\n"
                     "at {}.\n",
                     domain, sender, domain);
}

std::string bounce_warning_text(std::string_view list_address, int number, int total) {
  return fmt::format("Mail from {} to you has been bouncing, so the list no longer sends you\n"
                     "posts. This is warning {} of {}; after the last one you will be removed\n"
                     "from the list.\n\n"
                     "If your address works again, ask the list's admins ({}) to turn\n"
                     "delivery back on.\n",
                     list_address, number, total, special_address(list_address, "-owner"));
}

std::string bounce_admin_text(std::string_view list_address, std::string_view member,
                              std::string_view event) {
  if (event == "removed") {
    return fmt::format("{} was removed from {}: mail to it kept bouncing and the warnings\n"
                       "went unanswered.\n",
                       member, list_address);
  }
  return fmt::format("Delivery of {} to {} is disabled: mail to it bounces.\n"
                     "The member gets warnings; without a fix they are removed.\n",
                     list_address, member);
}

std::string bounce_forward_note(std::string_view list_address) {
  return fmt::format("This bounce came to {} and could not be matched to a member,\n"
                     "or could not be read. It is attached as it arrived; nothing was sent\n"
                     "back to its sender.\n",
                     special_address(list_address, "-bounces"));
}

std::string failed_deliveries_text(std::string_view list_address,
                                   const std::vector<FailedCopy>& failures, std::size_t limit) {
  std::string text =
      fmt::format("{} cop{} of mail from {} could not be delivered in the last day.\n"
                  "Each failed for good (a permanent refusal, or retried until the queue\n"
                  "lifetime ran out). Most recent last:\n\n",
                  failures.size(), failures.size() == 1 ? "y" : "ies", list_address);
  const std::size_t shown = std::min(limit, failures.size());
  for (std::size_t i = failures.size() - shown; i < failures.size(); ++i) {
    const FailedCopy& copy = failures[i];
    std::string reply =
        copy.code != 0 ? fmt::format("{} {} {}", copy.code, copy.enhanced, copy.reply) : copy.reply;
    text += fmt::format("  {}  {}  {}\n", copy.updated_at, copy.recipient,
                        reply.empty() ? std::string("(no reply)") : reply);
  }
  if (shown < failures.size()) {
    text += fmt::format("  ... and {} earlier\n", failures.size() - shown);
  }
  text += "\nMembers whose mail keeps bouncing are disabled and, after warnings, removed.\n";
  return text;
}

} // namespace list
