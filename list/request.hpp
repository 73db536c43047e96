// Commands by mail to a list's -request@ address: reading the command lines
// of a body, deciding whether the mail may run them (signed by the member's
// current key, encrypted to the list), and running them: `help`, and `key
// update` with the new key attached. Unknown commands run nothing and get
// help. Outcomes are values for the pipeline; store errors are util::Errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list/expand.hpp>
#include <list/keyring.hpp>
#include <list/message_codec.hpp>
#include <list/openpgp.hpp>
#include <list/store.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace list {

enum class Command { help, key_update, unknown };

/// Command lines read from a body, at most this many.
constexpr std::size_t k_max_commands = 10;

/// The commands of a body: its first non-empty lines up to the next blank
/// line, each trimmed, lowercased and with runs of blanks collapsed. Quoted
/// lines ("> ...") are skipped; a signature separator ("-- ") or an armor
/// line ("-----BEGIN ...") ends the commands.
std::vector<Command> read_commands(std::string_view body);

/// Whether a request may run commands that change a member.
enum class RequestAuth {
  ok,            // signed by the current key of `member`, and encrypted
  not_encrypted, // not encrypted to the list key
  not_signed,    // no signature
  bad_signature, // a signature that does not verify
  not_member,    // the sender's address is no active member with a key
  other_key,     // a good signature, but not by the member's current key
};

/// Decides from how the mail arrived and who it claims to be from.
RequestAuth authenticate_request(bool encrypted, const SignatureCheck& signature,
                                 const std::optional<MemberRecord>& member);

/// The reason as a log value: "not-signed", "other-key", ...
const char* to_string(RequestAuth auth);

/// For the sender: why the commands did not run, and what to do.
std::string refusal_text(std::string_view list_address, RequestAuth auth);

/// For the member: their key changed from `old_fingerprint` to `info`.
std::string key_updated_text(std::string_view list_address, std::string_view old_fingerprint,
                             const KeyInfo& info);

/// For the member: the attached key was refused (`why` from the keyring).
std::string key_refused_text(std::string_view list_address, std::string_view why);

/// "2025-03-01" for unix seconds (UTC), "never" for nullopt.
std::string expiry_date(std::optional<std::int64_t> expires);

/// What the pipeline hands over for one mail to -request@.
struct RequestContext {
  Store& store;
  MessageCodec& codec;
  PostCrypto& crypto;
  /// The list's keyring, opened on demand (key update only).
  std::function<std::unique_ptr<Keyring>()> open_keyring;
  const ListFacts& facts;
  std::int64_t reply_interval = 3600; // rate limit of answers to unauthenticated mail
};

struct RequestOutcome {
  std::vector<OutboundMessage> messages; // answers, queued with the final state
  std::string detail;                    // key=value pairs for the log line
  bool loop = false;                     // automated mail: nothing answered
  std::optional<util::Error> failure;    // transient ones retry the mail
};

/// Runs the commands of one mail to -request@ and builds the answers.
RequestOutcome handle_request_mail(RequestContext& context, const InboundMessage& message);

} // namespace list
