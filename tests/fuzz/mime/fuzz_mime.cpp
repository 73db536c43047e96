// libFuzzer target for the parse + read path of list_mime: arbitrary bytes
// as an inbound post and as a decrypted payload, then the inner entity and
// signed wrapper built from whatever was read. Crashes, sanitizer reports
// and broken invariants (signed bytes not recovered exactly) are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <list/mime/builder.hpp>
#include <list/mime/init.hpp>
#include <list/mime/reader.hpp>
#include <string_view>

namespace {

constexpr std::string_view k_signature =
    "-----BEGIN PGP SIGNATURE-----\r\n\r\nAAAA\r\n-----END PGP SIGNATURE-----\r\n";

// What the pipeline does with a read post: wrap its content for members and
// sign that; the signed part read back must be the same bytes.
void rebuild(const std::string& content) {
  list::MessageHeaders headers;
  headers.from = {"crew@lists.example.org", "Fuzz via Crew"};
  headers.to = {
      {"crew@lists.example.org", ""}
  };
  headers.message_id = "fuzz@lists.example.org";
  headers.date = "Tue, 14 May 2024 09:12:41 +0200";
  headers.subject = "[Crew] fuzz";
  auto inner = list::build_inner_entity(headers, "note", content);
  if (!inner) {
    return;
  }
  auto signed_entity = list::build_signed_entity(*inner, k_signature, "pgp-sha256");
  if (!signed_entity) {
    std::abort(); // an inner entity we built must always be signable
  }
  auto read = list::read_decrypted(*signed_entity);
  if (!read || !read->signature || read->signature->signed_bytes != *inner) {
    std::abort();
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

  if (auto post = list::parse_post(raw)) {
    if (post->signature) {
      (void)list::read_decrypted(post->signature->signed_bytes);
    }
    if (!post->content.empty()) {
      rebuild(post->content);
    }
  }
  if (auto inner = list::read_decrypted(raw)) {
    rebuild(inner->content);
  }
  return 0;
}
