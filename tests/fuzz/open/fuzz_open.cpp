// libFuzzer target for the parse + open path of the pipeline: arbitrary bytes
// as an inbound post (parse_post), its ciphertext read as if decryption had
// given it (read_decrypted; running gpg per input is far too slow), then the
// pure decisions that take hostile header values: loop checks, policy, and
// the headers, note and messages built for a member, a notice and a reply.
// Crashes, sanitizer reports and broken invariants (a built message that
// does not read back, or whose From is not the list's) are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <list/address.hpp>
#include <list/expand.hpp>
#include <list/loop_check.hpp>
#include <list/mime/builder.hpp>
#include <list/mime/init.hpp>
#include <list/mime/reader.hpp>
#include <list/policy.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view k_list = "crew@lists.example.org";

const list::ListFacts& facts() {
  static const list::ListFacts made = [] {
    list::ListFacts facts;
    facts.record.id = 7;
    facts.record.address = std::string(k_list);
    facts.record.name = "Crew";
    facts.record.fingerprint = "DDEB5A00D862912391964AFDD1156D5B182A649B";
    facts.settings.subject_prefix = "[Crew]";
    facts.settings.reply_to = list::ReplyTo::sender;
    facts.secret = std::string(32, 's');
    facts.base_url = "https://lists.example.org/panel";
    return facts;
  }();
  return made;
}

/// A message we built must read back, with the list's address (`from`) in
/// From (DMARC alignment) whatever the post's headers said.
void check_built(const util::Result<std::string>& built, std::string_view from = k_list) {
  if (!built) {
    return;
  }
  auto read = list::parse_post(*built);
  if (!read || !list::same_address(read->headers.from.address, from)) {
    std::abort();
  }
}

/// The pure steps after opening, as list/pipeline.cpp takes them.
void after_open(const list::ParsedPost& post, const list::InnerPost* inner) {
  const list::PostHeaders& headers = post.headers;
  for (std::string_view mail_from : {std::string_view(headers.return_path), std::string_view()}) {
    (void)list::loop_reason(list::LoopInput{&headers, post.automated, mail_from, k_list});
  }
  (void)list::list_id_of(headers.from.address);

  list::OpenedPost opened;
  opened.from = headers.from;
  opened.subject = headers.subject;
  opened.message_id = headers.message_id;
  opened.in_reply_to = headers.in_reply_to;
  opened.references = headers.references;
  opened.encrypted = inner != nullptr;
  opened.signed_by = headers.sender; // any text where a fingerprint goes
  if (inner != nullptr) {
    if (inner->protected_headers && !inner->protected_headers->subject.empty()) {
      opened.subject = inner->protected_headers->subject;
    }
    opened.content = inner->content;
  } else {
    opened.content = post.content;
  }

  list::PolicyInput input;
  input.settings = facts().settings;
  input.size = opened.content.size();
  input.encrypted = opened.encrypted;
  input.signer = opened.signed_by.empty() ? list::Signer::none : list::Signer::non_member;
  input.list_address = std::string(k_list);
  (void)list::decide(input);

  const std::string message_id =
      list::map_message_id(facts(), opened.message_id.empty() ? "queue:fuzz" : opened.message_id);
  if (list::map_message_id(facts(), message_id) != message_id) {
    std::abort(); // IDs the list made are kept, so threads survive a second pass
  }
  (void)list::reply_to_of(facts(), opened.from);
  const list::MessageHeaders protected_headers =
      list::protected_headers(facts(), opened, message_id, "");
  const std::string note = list::sender_note(facts(), opened);
  auto entity = list::build_inner_entity(protected_headers, note, opened.content);

  list::MemberRecord member;
  member.id = 11;
  member.list_id = facts().record.id;
  member.email = "bob@example.org";
  member.fingerprint = "BCC9DD43E38FF80A31BFE1FE906C74BB35FD62AA";
  const list::OutgoingHeaders outer =
      list::member_headers(facts(), protected_headers, member, list::OuterSubject::placeholder);
  check_built(list::build_encrypted_message(outer, "-----BEGIN PGP MESSAGE-----\r\n"
                                                   "\r\nAAAA\r\n-----END PGP MESSAGE-----\r\n"));
  if (entity) {
    check_built(list::build_plain_signed_message(
        list::member_headers(facts(), protected_headers, member, list::OuterSubject::real),
        *entity));
  }
  // A reply to the sender quotes its subject and Message-ID in the headers.
  check_built(
      list::build_text_message(list::notice_headers(facts(), "-request", opened.from.address,
                                                    opened.subject, opened.message_id),
                               note),
      "crew-request@lists.example.org");
  if (!opened.content.empty()) {
    (void)list::read_request_body(opened.content);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool initialized = [] {
    list::initialize_mime();
    return true;
  }();
  (void)initialized;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);

  auto post = list::parse_post(raw);
  if (!post) {
    return 0;
  }
  const bool encrypted = post->format == list::PostFormat::pgp_mime_encrypted ||
                         post->format == list::PostFormat::inline_encrypted;
  if (!encrypted) {
    after_open(*post, nullptr);
    return 0;
  }
  // The ciphertext stands in for what decrypting it would give, and so does
  // the whole input (a hostile payload inside valid encryption).
  for (std::string_view payload : {std::string_view(post->ciphertext), raw}) {
    if (auto inner = list::read_decrypted(payload)) {
      after_open(*post, &*inner);
    }
  }
  return 0;
}
