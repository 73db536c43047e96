#include <chrono>
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/loop_check.hpp>
#include <list/notices.hpp>
#include <list/policy.hpp>
#include <list/request.hpp>

namespace list {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/// Trimmed, lowercased, runs of blanks collapsed to one space.
std::string normalise_line(std::string_view line) {
  std::string out;
  bool blank = false;
  for (const char c : line) {
    if (is_blank(c)) {
      blank = !out.empty();
      continue;
    }
    if (blank) {
      out += ' ';
      blank = false;
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

Command command_of(std::string_view line) {
  if (line == "help") {
    return Command::help;
  }
  if (line == "key update") {
    return Command::key_update;
  }
  return Command::unknown;
}

} // namespace

std::vector<Command> read_commands(std::string_view body) {
  std::vector<Command> out;
  while (!body.empty() && out.size() < k_max_commands) {
    const auto end = body.find('\n');
    const std::string_view raw = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    std::string_view trimmed = raw;
    while (!trimmed.empty() && is_blank(trimmed.front())) {
      trimmed.remove_prefix(1);
    }
    if (trimmed.starts_with('>')) {
      continue; // quoted text of the mail being answered
    }
    // "-- " is the signature separator; armor (a key, a signature) is no command.
    if (raw == "-- " || raw == "-- \r" || raw == "--" || raw == "--\r" ||
        trimmed.starts_with("-----BEGIN ")) {
      break;
    }
    const std::string line = normalise_line(raw);
    if (line.empty()) {
      if (!out.empty()) {
        break; // the commands are the first block of lines
      }
      continue;
    }
    out.push_back(command_of(line));
  }
  return out;
}

RequestAuth authenticate_request(bool encrypted, const SignatureCheck& signature,
                                 const std::optional<MemberRecord>& member) {
  if (!member || member->fingerprint.empty()) {
    return RequestAuth::not_member;
  }
  if (!encrypted) {
    return RequestAuth::not_encrypted;
  }
  switch (signature.status) {
  case SignatureCheck::Status::none:
    return RequestAuth::not_signed;
  case SignatureCheck::Status::bad:
    return RequestAuth::bad_signature;
  case SignatureCheck::Status::unknown_key:
    return RequestAuth::other_key;
  case SignatureCheck::Status::good:
    break;
  }
  // The key bound to this member now, whatever else signed it.
  return same_address(signature.fingerprint, member->fingerprint) ? RequestAuth::ok
                                                                  : RequestAuth::other_key;
}

std::string refusal_text(std::string_view list_address, RequestAuth auth) {
  std::string why;
  switch (auth) {
  case RequestAuth::ok:
    return {};
  case RequestAuth::not_member:
    why = "its sender is not a member of this list with a key. Ask the list's admins at " +
          special_address(list_address, "-owner");
    break;
  case RequestAuth::not_encrypted:
    why = fmt::format("it was not encrypted to the list's key. Send mail to {} to get the key",
                      special_address(list_address, "-sendkey"));
    break;
  case RequestAuth::not_signed:
    why = "it was not signed. Sign it with your current key (the one this list has for you)";
    break;
  case RequestAuth::bad_signature:
    why = "its signature does not verify (changed on the way, or made with an expired or "
          "revoked key). Sign it with your current key";
    break;
  case RequestAuth::other_key:
    why = "it was not signed with your current key (the one this list has for you). Sign it "
          "with that key; if you lost it, ask the list's admins at " +
          special_address(list_address, "-owner");
    break;
  }
  return fmt::format("Your commands to {} were not run: {}.\n\nNothing was changed.\n\n{}",
                     special_address(list_address, "-request"), why, help_text(list_address));
}

const char* to_string(RequestAuth auth) {
  switch (auth) {
  case RequestAuth::ok:
    return "ok";
  case RequestAuth::not_encrypted:
    return "not-encrypted";
  case RequestAuth::not_signed:
    return "not-signed";
  case RequestAuth::bad_signature:
    return "bad-signature";
  case RequestAuth::not_member:
    return "not-member";
  case RequestAuth::other_key:
    return "other-key";
  }
  return "other-key";
}

std::string expiry_date(std::optional<std::int64_t> expires) {
  if (!expires) {
    return "never";
  }
  const auto days = std::chrono::sys_days{} + std::chrono::days(*expires / 86400);
  const std::chrono::year_month_day date{days};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

std::string key_updated_text(std::string_view list_address, std::string_view old_fingerprint,
                             const KeyInfo& info) {
  std::string changed;
  if (same_address(old_fingerprint, info.fingerprint)) {
    changed = fmt::format("Your key {} was refreshed from the one you sent; it expires: {}.\n",
                          info.fingerprint, expiry_date(info.expires));
  } else {
    changed = fmt::format("Your key for this list is now\n  {} (expires: {})\nIt replaces\n  {}\n"
                          "From now on posts reach you encrypted to the new key, and your\n"
                          "signatures count as a member's only when made with it.\n",
                          info.fingerprint, expiry_date(info.expires), old_fingerprint);
  }
  return fmt::format("Your key update for {} was done.\n\n{}\n"
                     "This answer is encrypted to the new key.\n",
                     list_address, changed);
}

std::string key_refused_text(std::string_view list_address, std::string_view why) {
  return fmt::format("Your key update for {} was refused: {}.\n\n"
                     "Nothing was changed; your current key stays. Attach exactly one public\n"
                     "key: not expired or revoked, able to encrypt, with a user ID for your\n"
                     "address.\n",
                     list_address, why);
}

namespace {

/// What opening the mail found.
struct Opened {
  bool encrypted = false;
  SignatureCheck signature;
  std::string from; // the From address, else the envelope sender
  RequestBody body;
};

/// Text -> a reply to `to` from -request@, encrypted to `fingerprint` if given.
Result<std::string> answer_message(RequestContext& context, std::string_view to,
                                   std::string_view subject, std::string_view text,
                                   std::string_view fingerprint) {
  OutgoingHeaders headers = notice_headers(context.facts, "-request", to, subject, "");
  if (fingerprint.empty()) {
    return context.codec.build_text_message(headers, text);
  }
  headers.message.subject = "...";
  MessageHeaders inner = headers.message;
  inner.subject = std::string(subject);
  auto entity = context.codec.build_inner_entity(inner, text, context.codec.build_text_entity(""));
  if (!entity) {
    return entity;
  }
  auto sealed = context.crypto.encrypt_to(*entity, fingerprint);
  if (!sealed) {
    return tl::unexpected(sealed.error());
  }
  return context.codec.build_encrypted_message(headers, *sealed);
}

/// Queues an answer; `fingerprint` empty or unusable: plain text.
void queue_answer(RequestContext& context, const InboundMessage& message, std::string_view to,
                  std::string_view text, std::string_view fingerprint, RequestOutcome& out) {
  const std::string subject = fmt::format("Your commands to {}", context.facts.record.address);
  auto built = answer_message(context, to, subject, text, fingerprint);
  const bool encrypted = built.has_value() && !fingerprint.empty();
  if (!built && !fingerprint.empty()) {
    built = answer_message(context, to, subject, text, "");
  }
  if (!built) {
    out.detail += " reply=failed";
    return;
  }
  out.messages.push_back(OutboundMessage{context.facts.record.id, message.id, std::nullopt,
                                         special_address(context.facts.record.address, "-bounces"),
                                         std::string(to), std::move(*built)});
  out.detail += encrypted ? " reply=encrypted" : " reply=plain";
}

/// An answer to the envelope sender of mail that proved nothing: never to a
/// null sender, at most one per sender and list per interval (shared with
/// the pipeline's other replies), encrypted when the sender is a member.
void queue_limited_answer(RequestContext& context, const InboundMessage& message,
                          const std::optional<MemberRecord>& sender_member, std::string_view text,
                          RequestOutcome& out) {
  const std::string& to = message.mail_from;
  if (to.empty()) {
    out.detail += " reply=none";
    return;
  }
  auto slot = context.store.take_notice_slot(
      fmt::format("reply:{}:{}", context.facts.record.id, fold_case(to)), unix_now(),
      context.reply_interval);
  if (!slot || !*slot) {
    out.detail += " reply=rate-limited";
    return;
  }
  std::string fingerprint;
  if (auto member = context.store.find_member(context.facts.record.id, to);
      member && member->has_value()) {
    fingerprint = (*member)->fingerprint;
  } else if (sender_member && same_address(sender_member->email, to)) {
    fingerprint = sender_member->fingerprint;
  }
  queue_answer(context, message, to, text, fingerprint, out);
}

/// Opens the mail as far as a request needs: decrypt, verify, read the body.
/// A permanent failure leaves the body empty (the sender gets help).
Result<Opened> open_request(RequestContext& context, const ParsedPost& parsed,
                            const InboundMessage& message) {
  Opened opened;
  opened.from =
      parsed.headers.from.address.empty() ? message.mail_from : parsed.headers.from.address;
  std::string content;
  std::string signed_text; // a clearsigned block's text, when that was the signature
  if (parsed.format == PostFormat::pgp_mime_encrypted ||
      parsed.format == PostFormat::inline_encrypted) {
    auto decrypted = context.crypto.decrypt(parsed.ciphertext);
    if (!decrypted) {
      if (decrypted.error().severity == util::Severity::transient) {
        return tl::unexpected(decrypted.error());
      }
      return opened;
    }
    auto inner = context.codec.read_decrypted(decrypted->plaintext);
    if (!inner) {
      return opened;
    }
    opened.encrypted = true;
    opened.signature = decrypted->signature;
    if (opened.signature.status == SignatureCheck::Status::none && inner->signature) {
      auto verified = context.crypto.verify_detached(inner->signature->signed_bytes,
                                                     inner->signature->signature);
      opened.signature = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    } else if (opened.signature.status == SignatureCheck::Status::none &&
               !inner->clearsigned.empty()) {
      auto verified = context.crypto.verify_clearsigned(inner->clearsigned, signed_text);
      opened.signature = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    }
    content = std::move(inner->content);
  } else {
    if (parsed.format == PostFormat::pgp_mime_signed && parsed.signature) {
      auto verified = context.crypto.verify_detached(parsed.signature->signed_bytes,
                                                     parsed.signature->signature);
      opened.signature = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    } else if (parsed.format == PostFormat::inline_signed) {
      auto verified = context.crypto.verify_clearsigned(parsed.clearsigned, signed_text);
      opened.signature = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    }
    content = parsed.content;
  }
  // Only what the signature covers: the signed text of a clearsigned block.
  if (!signed_text.empty()) {
    content = context.codec.build_text_entity(signed_text);
  }
  if (auto body = context.codec.read_request_body(content); body) {
    opened.body = std::move(*body);
  }
  return opened;
}

/// `key update` for an authenticated member: check, import, bind, answer.
void run_key_update(RequestContext& context, const InboundMessage& message,
                    const MemberRecord& member, const Opened& opened, bool with_help,
                    RequestOutcome& out) {
  const std::string& list_address = context.facts.record.address;
  auto refuse = [&](std::string_view code, std::string_view why) {
    out.detail += fmt::format(" result={}", code);
    queue_answer(context, message, member.email, key_refused_text(list_address, why),
                 member.fingerprint, out);
  };
  if (opened.body.keys.size() != 1) {
    refuse(opened.body.keys.empty() ? "no-key" : "several-keys",
           opened.body.keys.empty()
               ? "no public key was attached"
               : fmt::format("{} public keys were attached, not one", opened.body.keys.size()));
    return;
  }
  const std::string& key_data = opened.body.keys.front();
  auto keyring = context.open_keyring ? context.open_keyring() : nullptr;
  if (!keyring) {
    out.failure = util::Error{util::Severity::permanent, "the list's keyring is not available"};
    return;
  }
  // Exactly what `member add` checks: one key, usable, a user ID for the member.
  auto info = keyring->inspect_member_key(key_data, member.email, UidCheck::require_match);
  if (info) {
    info = keyring->import_member_key(key_data, member.email, UidCheck::require_match);
  }
  if (!info) {
    if (info.error().severity == util::Severity::transient) {
      out.failure = info.error();
      return;
    }
    refuse("refused", info.error().message);
    return;
  }
  const AuditEvent audit{"mail:" + member.email, "member.key_update",
                         fmt::format("{} {}", list_address, member.email),
                         fmt::format("fingerprint={} previous={} expires={}", info->fingerprint,
                                     member.fingerprint, expiry_date(info->expires))};
  if (auto updated = context.store.update_member_key(member.id, info->fingerprint, info->expires,
                                                     key_data, audit);
      !updated) {
    out.failure = updated.error();
    return;
  }
  out.detail += fmt::format(" result=updated fingerprint={}", info->fingerprint);
  std::string text = key_updated_text(list_address, member.fingerprint, *info);
  if (with_help) {
    text += "\n" + help_text(list_address);
  }
  // Encrypted to the new key: only its holder reads the confirmation.
  queue_answer(context, message, member.email, text, info->fingerprint, out);
}

} // namespace

RequestOutcome handle_request_mail(RequestContext& context, const InboundMessage& message) {
  RequestOutcome out;
  const std::string& list_address = context.facts.record.address;
  auto parsed = context.codec.parse_post(message.data);
  Opened opened;
  if (parsed) {
    LoopInput loop{&parsed->headers, parsed->automated, message.mail_from, list_address};
    if (auto reason = loop_reason(loop)) {
      out.loop = true;
      out.detail = fmt::format("reason={} to=request", to_string(*reason));
      return out;
    }
    auto found = open_request(context, *parsed, message);
    if (!found) {
      out.failure = found.error();
      return out;
    }
    opened = std::move(*found);
  }
  std::optional<MemberRecord> member;
  if (!opened.from.empty()) {
    auto found = context.store.find_member(context.facts.record.id, opened.from);
    if (!found) {
      out.failure = found.error();
      return out;
    }
    member = *found;
  }
  const std::vector<Command> commands = read_commands(opened.body.text);
  bool unknown = commands.empty();
  bool key_update = false;
  bool help = false;
  for (const Command command : commands) {
    unknown = unknown || command == Command::unknown;
    key_update = key_update || command == Command::key_update;
    help = help || command == Command::help;
  }
  if (unknown || !key_update) {
    // Unknown commands run nothing, not even the known ones beside them.
    out.detail = fmt::format("command={}", commands.empty() ? "none"
                                           : unknown        ? "unknown"
                                                            : "help");
    const std::string text =
        unknown && !commands.empty()
            ? fmt::format("A line of your mail to {} is no command, so none of them ran.\n\n{}",
                          special_address(list_address, "-request"), help_text(list_address))
            : help_text(list_address);
    queue_limited_answer(context, message, member, text, out);
    return out;
  }
  out.detail = "command=key-update";
  const RequestAuth auth = authenticate_request(opened.encrypted, opened.signature, member);
  if (auth != RequestAuth::ok) {
    out.detail += fmt::format(" result=refused auth={}", to_string(auth));
    queue_limited_answer(context, message, member, refusal_text(list_address, auth), out);
    return out;
  }
  run_key_update(context, message, *member, opened, help, out);
  return out;
}

} // namespace list
