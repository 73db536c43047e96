#include <chrono>
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/expand.hpp>
#include <list/loop_check.hpp>
#include <list/notice_mail.hpp>
#include <list/notices.hpp>
#include <list/pipeline.hpp>
#include <list/policy.hpp>
#include <list/request.hpp>
#include <list/route.hpp>
#include <set>
#include <thread>

namespace list {

namespace {

constexpr std::int64_t k_day = 24 * 60 * 60;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_transient(const util::Error& error) {
  return error.severity == util::Severity::transient;
}

/// Why a member's key cannot be used now, or empty if it can.
std::string unusable_key(const ExpansionMember& one, std::int64_t now) {
  if (one.member.fingerprint.empty() || one.public_key.empty()) {
    return "no key";
  }
  if (one.member.key_expires && *one.member.key_expires <= now) {
    return "key expired";
  }
  return {};
}

Signer classify(const SignatureCheck& check, const std::vector<MemberRecord>& members,
                std::optional<MemberRecord>& signing_member) {
  switch (check.status) {
  case SignatureCheck::Status::none:
    return Signer::none;
  case SignatureCheck::Status::bad:
    return Signer::bad;
  case SignatureCheck::Status::unknown_key:
    return Signer::non_member;
  case SignatureCheck::Status::good:
    break;
  }
  // Schleuder's rule: signed by a member only if the key is the one bound to
  // a member of this list, whatever the From header says.
  for (const MemberRecord& member : members) {
    if (!member.fingerprint.empty() && same_address(member.fingerprint, check.fingerprint)) {
      signing_member = member;
      return Signer::member;
    }
  }
  return Signer::non_member;
}

} // namespace

struct Pipeline::Work {
  explicit Work(const ClaimedPost& claimed) : post(claimed) {}
  const ClaimedPost& post;
  Route route;
  ListFacts facts;
  PostCrypto* crypto = nullptr;
  PipelineResult result;
  std::vector<OutboundMessage> messages; // queued with the final state
  InboundState final_state = InboundState::done;
  std::string outcome;
  std::optional<util::Error> failure; // set: stop; transient ones retry the message

  const std::string& address() const { return facts.record.address; }

  void event(std::string name, std::string detail, bool warning = false) {
    result.events.push_back(
        PipelineEvent{std::move(name), facts.record.address, std::move(detail), warning, {}});
  }

  /// Records `error`; a transient one makes the whole message come back.
  void fail(const util::Error& error) {
    if (!failure) {
      failure = error;
    }
  }
};

Pipeline::Pipeline(Store& store, MessageCodec& codec, ListCryptoSource& crypto, SealPool& seal_pool,
                   PipelineOptions options, BounceProcessor* bounces)
    : m_store(store), m_codec(codec), m_crypto(crypto), m_seal_pool(seal_pool),
      m_options(std::move(options)), m_bounces(bounces) {}

namespace {

/// The first route of any recipient whose list exists.
Result<std::optional<std::pair<Route, ListRecord>>> route_of(Store& store,
                                                             const InboundMessage& message) {
  for (const std::string& recipient : message.rcpt_to) {
    for (Route& route : candidate_routes(recipient)) {
      auto found = store.find_list(route.list_address);
      if (!found) {
        return tl::unexpected(found.error());
      }
      if (found->has_value()) {
        return std::make_optional(std::make_pair(std::move(route), std::move(**found)));
      }
    }
  }
  return std::nullopt;
}

/// The domain of the first postmaster@DOMAIN recipient, lowercased; empty
/// for none (and for the bare <Postmaster>, which names no domain).
std::string postmaster_domain(const InboundMessage& message) {
  for (const std::string& recipient : message.rcpt_to) {
    if (same_address(local_part(recipient), "postmaster") && !domain_part(recipient).empty()) {
      return fold_case(domain_part(recipient));
    }
  }
  return {};
}

} // namespace

Result<PostCrypto*> Pipeline::open_list(const ListRecord& record, ListFacts& facts) {
  facts.record = record;
  facts.base_url = m_options.base_url;
  auto settings = m_store.list_settings(record.id);
  if (!settings) {
    return tl::unexpected(settings.error());
  }
  auto secret = m_store.list_secret(record.id);
  if (!secret) {
    return tl::unexpected(secret.error());
  }
  auto key = m_crypto.public_key(record);
  if (!key) {
    return tl::unexpected(key.error());
  }
  auto crypto = m_crypto.post_crypto(record);
  if (!crypto) {
    return tl::unexpected(crypto.error());
  }
  facts.settings = typed_settings(*settings);
  facts.secret = std::move(*secret);
  facts.public_key = std::move(*key);
  return *crypto;
}

PipelineResult Pipeline::process(const ClaimedPost& post) {
  Work work(post);
  auto routed = route_of(m_store, post.message);
  if (!routed) {
    work.fail(routed.error());
  } else if (!routed->has_value()) {
    if (const std::string domain = postmaster_domain(post.message); !domain.empty()) {
      handle_postmaster(work, domain);
    } else {
      // Intake checks recipients; the list may have been deleted since.
      work.event("rejected", "reason=no-list");
      work.final_state = InboundState::rejected;
      work.outcome = "no-list";
    }
  } else {
    work.route = (*routed)->first;
    auto crypto = open_list((*routed)->second, work.facts);
    if (!crypto) {
      work.fail(crypto.error());
    } else {
      work.crypto = *crypto;
      switch (work.route.kind) {
      case RouteKind::post:
        handle_post(work);
        break;
      case RouteKind::sendkey:
        handle_sendkey(work);
        break;
      case RouteKind::owner:
        handle_owner(work);
        break;
      case RouteKind::request:
        handle_request(work);
        break;
      case RouteKind::bounces:
        handle_bounce(work);
        break;
      }
    }
  }
  if (work.failure) {
    if (is_transient(*work.failure)) {
      work.result.retry = true;
      work.event("deferred", "", true);
      work.result.events.back().error = work.failure->message;
      return std::move(work.result);
    }
    work.final_state = InboundState::rejected;
    work.outcome = "error";
    work.event("error", "", true);
    work.result.events.back().error = work.failure->message;
  }
  if (work.final_state == InboundState::held) {
    return std::move(work.result); // hold_inbound set the state already
  }
  if (auto finished =
          m_store.finish_inbound(post.message.id, work.final_state, work.outcome, work.messages);
      !finished) {
    work.result.retry = true;
    work.event("deferred", "", true);
    work.result.events.back().error = finished.error().message;
  }
  return std::move(work.result);
}

namespace {

/// Reply text -> a message to `to`, encrypted to `fingerprint` if given.
Result<std::string> reply_message(MessageCodec& codec, PostCrypto& crypto, const ListFacts& facts,
                                  std::string_view to, std::string_view subject,
                                  std::string_view in_reply_to, std::string_view text,
                                  std::string_view fingerprint) {
  return notice_message(codec, crypto, facts,
                        NoticeText{"-request", to, subject, in_reply_to, text}, fingerprint,
                        NoticeSigning::none);
}

} // namespace

/// Queues a reply to the envelope sender: never to a null sender, at most
/// one per sender and list per reply_interval, encrypted when we know a key.
static void queue_reply(Store& store, MessageCodec& codec, PostCrypto& crypto,
                        const ListFacts& facts, const InboundMessage& message,
                        std::string_view subject, std::string_view in_reply_to,
                        std::string_view text, std::int64_t interval,
                        std::vector<OutboundMessage>& out, PipelineEvent& event) {
  const std::string& to = message.mail_from;
  if (to.empty()) {
    event.detail += " reply=none";
    return;
  }
  auto slot = store.take_notice_slot(fmt::format("reply:{}:{}", facts.record.id, fold_case(to)),
                                     unix_now(), interval);
  if (!slot || !*slot) {
    event.detail += " reply=rate-limited";
    return;
  }
  std::string fingerprint;
  if (auto member = store.find_member(facts.record.id, to); member && member->has_value()) {
    fingerprint = (*member)->fingerprint;
  }
  auto built = reply_message(codec, crypto, facts, to, subject, in_reply_to, text, fingerprint);
  if (!built && !fingerprint.empty()) {
    built = reply_message(codec, crypto, facts, to, subject, in_reply_to, text, "");
  }
  if (!built) {
    event.detail += " reply=failed";
    return;
  }
  out.push_back(OutboundMessage{facts.record.id, message.id, std::nullopt,
                                special_address(facts.record.address, "-bounces"), to,
                                std::move(*built)});
  event.detail += fingerprint.empty() ? " reply=plain" : " reply=encrypted";
}

void Pipeline::handle_post(Work& work) {
  const InboundMessage& message = work.post.message;
  auto reject = [&](std::string code, std::string text) {
    PipelineEvent event{"rejected", work.address(), fmt::format("reason={}", code), false, {}};
    queue_reply(m_store, m_codec, *work.crypto, work.facts, message,
                fmt::format("Your message to {} was not distributed", work.address()), "", text,
                m_options.reply_interval, work.messages, event);
    work.result.events.push_back(std::move(event));
    work.final_state = InboundState::rejected;
    work.outcome = code;
  };
  if (work.post.decision == HeldDecision::reject) {
    reject("moderator", rejection_text(work.address(), work.post.decision_reason.empty()
                                                           ? std::string("a moderator rejected it")
                                                           : "a moderator rejected it: " +
                                                                 work.post.decision_reason));
    return;
  }
  auto parsed = m_codec.parse_post(message.data);
  if (!parsed) {
    reject("unreadable", rejection_text(work.address(), "it could not be read as a mail message"));
    return;
  }
  LoopInput loop{&parsed->headers, parsed->automated, message.mail_from, work.address()};
  if (auto reason = loop_reason(loop)) {
    work.event("loop", fmt::format("reason={}", to_string(*reason)));
    work.final_state = InboundState::rejected;
    work.outcome = fmt::format("loop:{}", to_string(*reason));
    return;
  }
  OpenedPost opened;
  opened.from = parsed->headers.from;
  opened.subject = parsed->headers.subject;
  opened.message_id = parsed->headers.message_id;
  opened.in_reply_to = parsed->headers.in_reply_to;
  opened.references = parsed->headers.references;
  SignatureCheck check;
  const bool encrypted = parsed->format == PostFormat::pgp_mime_encrypted ||
                         parsed->format == PostFormat::inline_encrypted;
  opened.encrypted = encrypted;
  if (encrypted) {
    auto decrypted = work.crypto->decrypt(parsed->ciphertext);
    if (!decrypted) {
      if (is_transient(decrypted.error())) {
        work.fail(decrypted.error());
        return;
      }
      PipelineEvent event{"rejected", work.address(), "reason=undecryptable", false, {}};
      queue_reply(m_store, m_codec, *work.crypto, work.facts, message,
                  fmt::format("Your message to {} could not be decrypted", work.address()), "",
                  undecryptable_text(work.address(), work.facts.record.fingerprint),
                  m_options.reply_interval, work.messages, event);
      work.result.events.push_back(std::move(event));
      work.final_state = InboundState::rejected;
      work.outcome = "undecryptable";
      return;
    }
    auto inner = m_codec.read_decrypted(decrypted->plaintext);
    if (!inner) {
      reject("unreadable",
             rejection_text(work.address(), "its decrypted content could not be read"));
      return;
    }
    check = decrypted->signature;
    if (check.status == SignatureCheck::Status::none && inner->signature) {
      auto verified =
          work.crypto->verify_detached(inner->signature->signed_bytes, inner->signature->signature);
      check = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    } else if (check.status == SignatureCheck::Status::none && !inner->clearsigned.empty()) {
      std::string text;
      auto verified = work.crypto->verify_clearsigned(inner->clearsigned, text);
      check = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    }
    if (inner->protected_headers && !inner->protected_headers->subject.empty()) {
      opened.subject = inner->protected_headers->subject;
    }
    opened.content = std::move(inner->content);
  } else {
    if (parsed->format == PostFormat::pgp_mime_signed && parsed->signature) {
      auto verified = work.crypto->verify_detached(parsed->signature->signed_bytes,
                                                   parsed->signature->signature);
      check = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    } else if (parsed->format == PostFormat::inline_signed) {
      std::string text;
      auto verified = work.crypto->verify_clearsigned(parsed->clearsigned, text);
      check = verified ? *verified : SignatureCheck{SignatureCheck::Status::bad, {}};
    }
    opened.content = std::move(parsed->content);
  }
  auto members = m_store.members(work.facts.record.id);
  if (!members) {
    work.fail(members.error());
    return;
  }
  std::optional<MemberRecord> signing_member;
  PolicyInput input;
  input.settings = work.facts.settings;
  input.server_max_size = m_options.server_max_size;
  input.size = message.data.size();
  input.encrypted = encrypted;
  input.signer = classify(check, *members, signing_member);
  input.approved = work.post.decision == HeldDecision::approve;
  input.list_address = work.address();
  if (signing_member) {
    input.sender_role = signing_member->role;
  } else {
    for (const MemberRecord& member : *members) {
      if (same_address(member.email, opened.from.address) && member.state == MemberState::active) {
        input.sender_role = member.role;
      }
    }
  }
  if (check.status == SignatureCheck::Status::good) {
    opened.signed_by = check.fingerprint;
    opened.signed_by_member = input.signer == Signer::member;
  }
  const Decision decision = decide(input);
  if (decision.verdict == Verdict::reject) {
    reject(decision.code, rejection_text(work.address(), decision.reason));
    return;
  }
  if (decision.verdict == Verdict::hold) {
    auto held = m_store.hold_inbound(message.id, work.facts.record.id, message.mail_from,
                                     decision.reason, {});
    if (!held) {
      work.fail(held.error());
      return;
    }
    work.final_state = InboundState::held;
    work.event("held", fmt::format("held_id={} reason={}", *held, decision.code));
    return;
  }
  // Self-delivery is decided per member in expand(): the sender's address.
  expand(work, opened);
}

void Pipeline::expand(Work& work, OpenedPost& opened) {
  const InboundMessage& message = work.post.message;
  const ListFacts& facts = work.facts;
  // The same Message-ID on every copy, also after a crash and resume: mapped
  // from the original, or from the queue id when the post had none.
  const std::string message_id =
      facts.settings.keep_message_id && !opened.message_id.empty()
          ? opened.message_id
          : map_message_id(facts, opened.message_id.empty() ? "queue:" + message.queue_id
                                                            : opened.message_id);
  const MessageHeaders inner_headers = protected_headers(facts, opened, message_id, "");
  auto inner =
      m_codec.build_inner_entity(inner_headers, sender_note(facts, opened), opened.content);
  if (!inner) {
    work.fail(inner.error());
    return;
  }
  // Signed once per post; only the encryption differs per member.
  std::string micalg;
  auto signature = work.crypto->sign_detached(*inner, micalg);
  if (!signature) {
    work.fail(signature.error());
    return;
  }
  auto signed_entity = m_codec.build_signed_entity(*inner, *signature, micalg);
  if (!signed_entity) {
    work.fail(signed_entity.error());
    return;
  }
  inner->clear();
  const std::int64_t now = unix_now();
  Id marker = work.post.expanded_through;
  std::size_t members = 0;
  std::size_t queued = 0;
  std::size_t keyless = 0;
  std::size_t failed = 0;
  for (;;) {
    auto batch = m_store.expansion_batch(facts.record.id, marker, m_options.batch_size);
    if (!batch) {
      work.fail(batch.error());
      return;
    }
    if (batch->empty()) {
      break;
    }
    std::vector<std::optional<OutboundMessage>> copies(batch->size());
    std::vector<std::string> errors(batch->size());
    std::vector<std::size_t> keyed;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      const ExpansionMember& one = (*batch)[i];
      if (one.member.state != MemberState::active) {
        continue;
      }
      if (!facts.settings.deliver_self && same_address(one.member.email, opened.from.address)) {
        continue;
      }
      ++members;
      const std::string why = unusable_key(one, now);
      if (why.empty()) {
        keyed.push_back(i);
        continue;
      }
      ++keyless;
      errors[i] = why;
    }
    // Seal and build each keyed member's copy on the pool.
    m_seal_pool.run_all(keyed.size(), [&](std::size_t k, Sealer& sealer) {
      const ExpansionMember& one = (*batch)[keyed[k]];
      auto sealed = sealer.seal(*signed_entity, MemberKey{one.member.fingerprint, one.public_key});
      if (!sealed) {
        errors[keyed[k]] = is_transient(sealed.error()) ? "transient" : "key unusable";
        return;
      }
      auto built = m_codec.build_encrypted_message(
          member_headers(facts, inner_headers, one.member, OuterSubject::placeholder), *sealed);
      if (!built) {
        errors[keyed[k]] = "build";
        return;
      }
      copies[keyed[k]] =
          OutboundMessage{facts.record.id,  message.id,
                          one.member.id,    verp_address(facts.record.address, one.verp_tag),
                          one.member.email, std::move(*built)};
    });
    std::vector<OutboundMessage> out;
    for (std::size_t i = 0; i < batch->size(); ++i) {
      const ExpansionMember& one = (*batch)[i];
      if (copies[i]) {
        out.push_back(std::move(*copies[i]));
        continue;
      }
      if (errors[i].empty()) {
        continue; // not delivered to: inactive or self
      }
      if (errors[i] == "transient") {
        work.fail(util::Error{util::Severity::transient, "sealing failed transiently"});
        return;
      }
      if (errors[i] == "build") {
        ++failed;
        continue;
      }
      if (errors[i] == "key unusable") {
        ++keyless;
      }
      switch (facts.settings.keyless_members) {
      case KeylessMembers::skip:
        break;
      case KeylessMembers::plaintext: {
        auto built = m_codec.build_plain_signed_message(
            member_headers(facts, inner_headers, one.member, OuterSubject::real), *signed_entity);
        if (built) {
          out.push_back(OutboundMessage{facts.record.id, message.id, one.member.id,
                                        verp_address(facts.record.address, one.verp_tag),
                                        one.member.email, std::move(*built)});
        }
        break;
      }
      case KeylessMembers::notify: {
        auto slot = m_store.take_notice_slot(fmt::format("keyless:{}", one.member.id), now, k_day);
        if (!slot || !*slot) {
          break;
        }
        OutgoingHeaders headers =
            notice_headers(facts, "-owner", one.member.email,
                           fmt::format("You missed a post to {}", facts.record.address), "");
        const std::string text =
            m_codec.build_text_entity(keyless_text(facts.record.address, errors[i]));
        std::string notice_micalg;
        auto notice_signature = work.crypto->sign_detached(text, notice_micalg);
        if (!notice_signature) {
          break;
        }
        auto notice_entity = m_codec.build_signed_entity(text, *notice_signature, notice_micalg);
        if (!notice_entity) {
          break;
        }
        auto built = m_codec.build_plain_signed_message(headers, *notice_entity);
        if (built) {
          out.push_back(OutboundMessage{facts.record.id, message.id, one.member.id,
                                        verp_address(facts.record.address, one.verp_tag),
                                        one.member.email, std::move(*built)});
        }
        break;
      }
      }
    }
    const Id through = batch->back().member.id;
    queued += out.size();
    if (auto enqueued = m_store.enqueue_copies(message.id, marker, through, out); !enqueued) {
      work.fail(enqueued.error());
      return;
    }
    marker = through;
    (void)m_store.renew_inbound_lease(message.id, unix_now() + m_options.lease_seconds);
    if (m_options.batch_pause.count() > 0) {
      std::this_thread::sleep_for(m_options.batch_pause);
    }
  }
  work.final_state = InboundState::done;
  work.outcome = "posted";
  work.event("post", fmt::format("members={} queued={} keyless={} failed={} resumed={} "
                                 "encrypted={} signed={}",
                                 members, queued, keyless, failed,
                                 work.post.expanded_through != 0 ? "yes" : "no",
                                 opened.encrypted ? "yes" : "no",
                                 opened.signed_by_member    ? "member"
                                 : opened.signed_by.empty() ? "no"
                                                            : "other"));
}

/// Mail to -bounces+TAG@ or bare -bounces@ goes to the bounce processor and
/// nothing else: never a reply (a bounce answered is a loop).
void Pipeline::handle_bounce(Work& work) {
  const std::string tag = work.route.tag.empty() ? "-" : "yes";
  if (m_bounces == nullptr) {
    // No processor (tools and tests): left for one, in state 'bounce'.
    work.final_state = InboundState::bounce;
    work.outcome = "bounce";
    work.event("bounce", fmt::format("tag={}", tag));
    return;
  }
  auto verdict =
      m_bounces->handle_bounce_mail(work.facts.record.id, work.route.tag, work.post.message.data);
  if (!verdict) {
    work.fail(verdict.error());
    return;
  }
  work.final_state = InboundState::done;
  work.outcome = fmt::format("bounce:{}", to_string(*verdict));
  work.event("bounce", fmt::format("tag={} verdict={}", tag, to_string(*verdict)));
}

void Pipeline::handle_sendkey(Work& work) {
  const InboundMessage& message = work.post.message;
  work.final_state = InboundState::done;
  work.outcome = "sendkey";
  PipelineEvent event{"sendkey", work.address(), "", false, {}};
  if (message.mail_from.empty()) {
    event.detail = "reply=none";
    work.result.events.push_back(std::move(event));
    return;
  }
  auto slot = m_store.take_notice_slot(
      fmt::format("sendkey:{}:{}", work.facts.record.id, fold_case(message.mail_from)), unix_now(),
      m_options.reply_interval);
  if (!slot) {
    work.fail(slot.error());
    return;
  }
  if (!*slot) {
    event.detail = "reply=rate-limited";
    work.result.events.push_back(std::move(event));
    return;
  }
  OutgoingHeaders headers =
      notice_headers(work.facts, "-sendkey", message.mail_from,
                     fmt::format("The OpenPGP key of {}", work.address()), "");
  auto built = m_codec.build_text_message(
      headers, sendkey_text(work.address(), work.facts.record.fingerprint, work.facts.public_key));
  if (!built) {
    work.fail(built.error());
    return;
  }
  work.messages.push_back(OutboundMessage{work.facts.record.id, message.id, std::nullopt,
                                          special_address(work.address(), "-bounces"),
                                          message.mail_from, std::move(*built)});
  event.detail = "reply=sent";
  work.result.events.push_back(std::move(event));
}

void Pipeline::handle_owner(Work& work) {
  const InboundMessage& message = work.post.message;
  work.final_state = InboundState::done;
  work.outcome = "owner";
  auto members = m_store.members(work.facts.record.id);
  if (!members) {
    work.fail(members.error());
    return;
  }
  AdminMail mail;
  mail.subject = fmt::format("Mail to {}", special_address(work.address(), "-owner"));
  mail.note = owner_note(work.address(), message.mail_from);
  mail.attached = message.data;
  mail.envelope_from = special_address(work.address(), "-bounces");
  mail.inbound_id = message.id;
  mail.kind = NoticeKind::forward;
  mail.signing = NoticeSigning::none;
  auto forwards = admin_mail(m_codec, *work.crypto, work.facts, *members, mail);
  if (!forwards) {
    work.fail(forwards.error());
    return;
  }
  const std::size_t forwarded = forwards->size();
  for (OutboundMessage& forward : *forwards) {
    work.messages.push_back(std::move(forward));
  }
  work.event("owner", fmt::format("admins={}", forwarded));
}

/// RFC 5321 4.5.1: postmaster@ must reach a person. Forwarded, encrypted,
/// to the active admins of every list at the domain, one copy per distinct
/// admin address (from the first list, by id, where that admin's key works);
/// with no list there it is kept as rejected, never bounced.
void Pipeline::handle_postmaster(Work& work, const std::string& domain) {
  const InboundMessage& message = work.post.message;
  auto lists = m_store.all_lists();
  if (!lists) {
    work.fail(lists.error());
    return;
  }
  std::set<std::string> served; // folded admin addresses with a copy
  std::size_t at_domain = 0;
  std::size_t failed = 0;
  for (const ListRecord& record : *lists) {
    if (!same_address(domain_part(record.address), domain)) {
      continue;
    }
    ++at_domain;
    ListFacts facts;
    auto crypto = open_list(record, facts);
    auto members = m_store.members(record.id);
    if (!crypto || !members) {
      const util::Error& error = !crypto ? crypto.error() : members.error();
      if (is_transient(error)) {
        work.fail(error); // nothing is queued yet: the whole forward comes back
        return;
      }
      ++failed; // one broken list must not keep postmaster mail from the others
      continue;
    }
    std::erase_if(*members, [&](const MemberRecord& member) {
      return served.contains(fold_case(member.email));
    });
    AdminMail mail;
    mail.subject = fmt::format("Mail to postmaster@{}", domain);
    mail.note = postmaster_note(domain, message.mail_from);
    mail.attached = message.data;
    mail.envelope_from = special_address(record.address, "-bounces");
    mail.inbound_id = message.id;
    mail.kind = NoticeKind::forward;
    mail.signing = NoticeSigning::none;
    auto forwards = admin_mail(m_codec, **crypto, facts, *members, mail);
    if (!forwards) {
      if (is_transient(forwards.error())) {
        work.fail(forwards.error());
        return;
      }
      ++failed;
      continue;
    }
    for (OutboundMessage& forward : *forwards) {
      served.insert(fold_case(forward.recipient));
      work.messages.push_back(std::move(forward));
    }
  }
  if (at_domain == 0) {
    work.event("rejected", fmt::format("reason=no-list to=postmaster domain={}", domain));
    work.final_state = InboundState::rejected;
    work.outcome = "no-list";
    return;
  }
  const bool nobody = served.empty();
  work.event("postmaster",
             fmt::format("domain={} lists={} admins={} failed={}", domain, at_domain, served.size(),
                         failed),
             nobody);
  // Kept where an operator finds it when no admin could be reached.
  work.final_state = nobody ? InboundState::rejected : InboundState::done;
  work.outcome = nobody ? "postmaster:no-admin" : "postmaster";
}

void Pipeline::handle_request(Work& work) {
  work.final_state = InboundState::done;
  work.outcome = "request";
  const ListRecord& record = work.facts.record;
  auto open_keyring = [this, &record]() -> std::unique_ptr<Keyring> {
    return m_options.open_keyring ? m_options.open_keyring(record) : nullptr;
  };
  RequestContext context{m_store,      m_codec,    *work.crypto,
                         open_keyring, work.facts, m_options.reply_interval};
  RequestOutcome outcome = handle_request_mail(context, work.post.message);
  if (outcome.failure) {
    work.fail(*outcome.failure);
    return;
  }
  work.event(outcome.loop ? "loop" : "request", std::move(outcome.detail));
  for (OutboundMessage& answer : outcome.messages) {
    work.messages.push_back(std::move(answer));
  }
}

} // namespace list
