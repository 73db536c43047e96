// The builders: output re-parsed by GMime and by list::parse_post, signed
// and encrypted with real gpg, checked for RFC 3156 structure, RFC 2047
// round trips, line limits and header injection.
#include "mime_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <gmime/gmime.h>
#include <list/mime/builder.hpp>
#include <list/mime/entity.hpp>
#include <list/mime/reader.hpp>
#include <memory>

namespace {

struct Unref {
  void operator()(void* object) const { g_object_unref(object); }
};
template <class T> using Owned = std::unique_ptr<T, Unref>;

Owned<GMimeMessage> gmime_parse(const std::string& raw) {
  Owned<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  Owned<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  return Owned<GMimeMessage>(g_mime_parser_construct_message(parser.get(), nullptr));
}

std::string header(GMimeMessage* message, const char* name) {
  const char* value = g_mime_object_get_header(GMIME_OBJECT(message), name);
  return value == nullptr ? std::string() : std::string(value);
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Every line ends in CRLF and is at most 998 octets (RFC 5322 2.1.1).
void check_lines(const std::string& message) {
  std::size_t start = 0;
  while (start < message.size()) {
    const auto end = message.find('\n', start);
    BOOST_REQUIRE(end != std::string::npos);
    BOOST_REQUIRE(end > start && message[end - 1] == '\r');
    BOOST_REQUIRE(end - 1 - start <= 998U);
    BOOST_REQUIRE(message.substr(start, end - 1 - start).find('\r') == std::string::npos);
    start = end + 1;
  }
}

list::MessageHeaders protected_headers() {
  list::MessageHeaders headers;
  headers.from = {"crew@lists.example.org", "Alice via Crew"};
  headers.to = {
      {"crew@lists.example.org", "Crew"}
  };
  headers.reply_to = list::Mailbox{"crew@lists.example.org", ""};
  headers.date = "Tue, 14 May 2024 09:12:41 +0200";
  headers.message_id = "list-1@lists.example.org";
  headers.subject = "[Crew] Treffen verschoben auf Donnerstag \u2014 Caf\u00e9";
  headers.in_reply_to = "parent-1@example.org";
  headers.references = {"root-0@example.org", "parent-1@example.org"};
  return headers;
}

list::OutgoingHeaders outgoing_headers() {
  list::OutgoingHeaders headers;
  headers.message = protected_headers();
  headers.message.to = {
      {"bob@example.org", ""}
  };
  headers.message.subject = "[Crew] ...";
  headers.list.id = "crew.lists.example.org";
  headers.list.name = "Crew";
  headers.list.post = "mailto:crew@lists.example.org";
  headers.list.help = "mailto:crew-request@lists.example.org?subject=help";
  headers.list.owner = "mailto:crew-owner@lists.example.org";
  headers.list.unsubscribe = {"https://lists.example.org/u/TOKEN",
                              "mailto:crew-leave@lists.example.org"};
  headers.list.one_click_unsubscribe = true;
  headers.keys.fingerprint = test::list_fpr();
  headers.keys.key_url = "https://lists.example.org/crew/key.asc";
  headers.keys.autocrypt_address = "crew@lists.example.org";
  headers.keys.autocrypt_key = test::mail("list-key.asc");
  return headers;
}

const char* const k_note = "Alice <alice@example.org> wrote this post.\n"
                           "Signed: yes, key DDEB5A00D862912391964AFDD1156D5B182A649B.\n"
                           "Encrypted: yes.\n";

const std::string k_content =
    "Content-Type: multipart/mixed; boundary=\"att\"\r\n\r\n"
    "--att\r\nContent-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\nHallo, Gr=C3=BC=C3=9Fe\r\n"
    "--att\r\nContent-Type: image/png; name=\"p.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
    "--att--\r\n";

// The key holders: the list signs, bob and alice receive.
struct Homes {
  test::GpgHome list_home;
  test::GpgHome alice_home;
  Homes() {
    list_home.import("mail/list-key.secret.asc");
    list_home.import("keys/valid-cv25519.asc");
    alice_home.import("keys/secret/valid-cv25519.asc");
    alice_home.import("mail/list-key.asc");
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(builder)

BOOST_AUTO_TEST_CASE(inner_entity_carries_protected_headers_note_and_content) {
  const auto inner =
      test::value_of(list::build_inner_entity(protected_headers(), k_note, k_content));
  check_lines(inner);
  // A reader of the decrypted entity finds the protected headers again.
  const auto read = test::value_of(list::read_decrypted(inner));
  BOOST_REQUIRE(read.protected_headers.has_value());
  BOOST_TEST(read.protected_headers->subject == protected_headers().subject);
  BOOST_TEST(read.protected_headers->from.display_name == "Alice via Crew");
  BOOST_TEST(read.protected_headers->from.address == "crew@lists.example.org");

  // GMime sees multipart/mixed with the note first and the content unchanged.
  const std::string wrapped = "From: x@example.org\r\n" + inner;
  auto message = gmime_parse(wrapped);
  BOOST_REQUIRE(message);
  auto* top = g_mime_message_get_mime_part(message.get());
  BOOST_REQUIRE(GMIME_IS_MULTIPART(top));
  BOOST_TEST(std::string(g_mime_object_get_content_type_parameter(top, "protected-headers")) ==
             "v1");
  BOOST_TEST(g_mime_multipart_get_count(GMIME_MULTIPART(top)) == 2);
  auto* note = g_mime_multipart_get_part(GMIME_MULTIPART(top), 0);
  BOOST_TEST(g_mime_content_type_is_type(g_mime_object_get_content_type(note), "text", "plain"));
  BOOST_TEST(contains(inner, "\r\n" + k_content));
  BOOST_TEST(contains(inner, "Signed: yes, key DDEB5A00D862912391964AFDD1156D5B182A649B.\r\n"));
}

BOOST_AUTO_TEST_CASE(eight_bit_content_is_reencoded_for_signing) {
  const std::string eight_bit =
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\nGr\u00fc\u00dfe aus K\u00f6ln\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: binary\r\n\r\n\x01\x80\xff\r\n--b--\r\n";
  const auto inner =
      test::value_of(list::build_inner_entity(protected_headers(), k_note, eight_bit));
  check_lines(inner);
  BOOST_TEST(std::all_of(inner.begin(), inner.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 128; }));
  // The text reads the same after the re-encoding.
  auto parsed = gmime_parse("From: x@example.org\r\n" + inner);
  auto* top = GMIME_MULTIPART(g_mime_message_get_mime_part(parsed.get()));
  auto* kept = GMIME_MULTIPART(g_mime_multipart_get_part(top, 1));
  auto* text = g_mime_multipart_get_part(kept, 0);
  BOOST_REQUIRE(GMIME_IS_TEXT_PART(text));
  std::unique_ptr<char, decltype(&g_free)> decoded(g_mime_text_part_get_text(GMIME_TEXT_PART(text)),
                                                   &g_free);
  // The CRLF before a delimiter belongs to the delimiter, not the text.
  BOOST_TEST(std::string(decoded.get()) == "Gr\u00fc\u00dfe aus K\u00f6ln");
}

BOOST_AUTO_TEST_CASE(signed_part_is_the_inner_entity_byte_for_byte) {
  Homes homes;
  const auto inner =
      test::value_of(list::build_inner_entity(protected_headers(), k_note, k_content));
  const std::string signature = homes.list_home.sign(inner, test::list_fpr());
  const auto signed_entity =
      test::value_of(list::build_signed_entity(inner, signature, "pgp-sha256"));
  check_lines(signed_entity);
  const auto read = test::value_of(list::read_decrypted(signed_entity));
  BOOST_REQUIRE(read.signature.has_value());
  BOOST_TEST((read.signature->signed_bytes == inner));
  BOOST_TEST(read.signature->micalg == "pgp-sha256");
  BOOST_TEST(homes.alice_home.verify(read.signature->signed_bytes, read.signature->signature) ==
             test::list_fpr());
}

BOOST_AUTO_TEST_CASE(encrypted_message_is_rfc3156_and_opens_for_the_member) {
  Homes homes;
  const auto inner =
      test::value_of(list::build_inner_entity(protected_headers(), k_note, k_content));
  const auto signed_entity = test::value_of(list::build_signed_entity(
      inner, homes.list_home.sign(inner, test::list_fpr()), "pgp-sha256"));
  const std::string ciphertext = homes.list_home.encrypt(signed_entity, test::k_alice_fpr);
  const auto message =
      test::value_of(list::build_encrypted_message(outgoing_headers(), ciphertext));
  check_lines(message);

  // RFC 3156 section 4 structure, as GMime reads it.
  auto parsed = gmime_parse(message);
  BOOST_REQUIRE(parsed);
  auto* top = g_mime_message_get_mime_part(parsed.get());
  BOOST_REQUIRE(GMIME_IS_MULTIPART_ENCRYPTED(top));
  BOOST_TEST(std::string(g_mime_object_get_content_type_parameter(top, "protocol")) ==
             "application/pgp-encrypted");
  BOOST_REQUIRE(g_mime_multipart_get_count(GMIME_MULTIPART(top)) == 2);
  auto* version = g_mime_multipart_get_part(GMIME_MULTIPART(top), 0);
  auto* payload = g_mime_multipart_get_part(GMIME_MULTIPART(top), 1);
  BOOST_TEST(g_mime_content_type_is_type(g_mime_object_get_content_type(version), "application",
                                         "pgp-encrypted"));
  BOOST_TEST(g_mime_content_type_is_type(g_mime_object_get_content_type(payload), "application",
                                         "octet-stream"));
  BOOST_TEST(contains(message, "Content-Type: application/pgp-encrypted\r\n"
                               "Content-Description: PGP/MIME version identification\r\n\r\n"
                               "Version: 1\r\n"));

  // The outer headers.
  BOOST_TEST(header(parsed.get(), "Subject") == "[Crew] ...");
  BOOST_TEST(header(parsed.get(), "List-Id") == "Crew <crew.lists.example.org>");
  BOOST_TEST(header(parsed.get(), "List-Post") == "<mailto:crew@lists.example.org>");
  BOOST_TEST(header(parsed.get(), "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click");
  BOOST_TEST(header(parsed.get(), "Precedence") == "list");
  BOOST_TEST(header(parsed.get(), "MIME-Version") == "1.0");
  BOOST_TEST(header(parsed.get(), "In-Reply-To") == "<parent-1@example.org>");
  BOOST_TEST(contains(header(parsed.get(), "OpenPGP"), "id=" + test::list_fpr() + ";"));
  BOOST_TEST(
      contains(header(parsed.get(), "List-Unsubscribe"), "<https://lists.example.org/u/TOKEN>"));
  BOOST_TEST(!contains(message, "Received:"));
  BOOST_TEST(!contains(message, "Treffen")); // the real subject stays inside

  // Autocrypt keydata is the list key's binary packets.
  std::string autocrypt = header(parsed.get(), "Autocrypt");
  BOOST_TEST(autocrypt.starts_with("addr=crew@lists.example.org; prefer-encrypt=mutual; keydata="));
  std::string keydata = autocrypt.substr(autocrypt.find("keydata=") + 8);
  std::erase_if(keydata, [](char c) { return c == ' ' || c == '\r' || c == '\n' || c == '\t'; });
  gsize length = 0;
  std::unique_ptr<guchar, decltype(&g_free)> key(g_base64_decode(keydata.c_str(), &length),
                                                 &g_free);
  test::write_file(homes.alice_home.file("autocrypt.gpg"),
                   std::string(reinterpret_cast<const char*>(key.get()), length));
  const auto shown = homes.alice_home.gpg("--with-colons --show-keys '" +
                                          homes.alice_home.file("autocrypt.gpg") + "'");
  BOOST_TEST(contains(shown.output, test::list_fpr()));

  // The member opens it: parse, decrypt, verify the list's signature, read
  // the protected subject and the content.
  const auto post = test::value_of(list::parse_post(message));
  BOOST_TEST((post.format == list::PostFormat::pgp_mime_encrypted));
  BOOST_TEST(post.headers.message_id == "list-1@lists.example.org");
  const auto opened =
      test::value_of(list::read_decrypted(homes.alice_home.decrypt(post.ciphertext)));
  BOOST_REQUIRE(opened.signature.has_value());
  BOOST_TEST((opened.signature->signed_bytes == inner));
  BOOST_TEST(homes.alice_home.verify(opened.signature->signed_bytes, opened.signature->signature) ==
             test::list_fpr());
  const auto content = test::value_of(list::read_decrypted(opened.signature->signed_bytes));
  BOOST_REQUIRE(content.protected_headers.has_value());
  BOOST_TEST(content.protected_headers->subject == protected_headers().subject);
}

BOOST_AUTO_TEST_CASE(plain_signed_and_text_messages) {
  Homes homes;
  const auto inner =
      test::value_of(list::build_inner_entity(protected_headers(), k_note, k_content));
  const auto signed_entity = test::value_of(list::build_signed_entity(
      inner, homes.list_home.sign(inner, test::list_fpr()), "pgp-sha256"));
  const auto plain =
      test::value_of(list::build_plain_signed_message(outgoing_headers(), signed_entity));
  check_lines(plain);
  const auto post = test::value_of(list::parse_post(plain));
  BOOST_TEST((post.format == list::PostFormat::pgp_mime_signed));
  BOOST_REQUIRE(post.signature.has_value());
  BOOST_TEST((post.signature->signed_bytes == inner));
  BOOST_TEST(homes.alice_home.verify(post.signature->signed_bytes, post.signature->signature) ==
             test::list_fpr());
  BOOST_TEST(!list::build_plain_signed_message(outgoing_headers(), inner).has_value());

  const std::string text = "Your key expired.\nFix it: gpg --quick-set-expire \u2026\n"
                           "From here on   \n.\n" +
                           std::string(200, 'x') + "\n";
  const auto notice = test::value_of(list::build_text_message(outgoing_headers(), text));
  check_lines(notice);
  auto parsed = gmime_parse(notice);
  auto* part = g_mime_message_get_mime_part(parsed.get());
  BOOST_REQUIRE(GMIME_IS_TEXT_PART(part));
  std::unique_ptr<char, decltype(&g_free)> decoded(g_mime_text_part_get_text(GMIME_TEXT_PART(part)),
                                                   &g_free);
  BOOST_TEST(list::to_crlf(text) == std::string(decoded.get()));
  BOOST_TEST(list::build_text_entity("ascii only\n") ==
             "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
             "ascii only\r\n");
}

BOOST_AUTO_TEST_CASE(rfc2047_round_trip_of_subject_and_display_name) {
  const struct {
    const char* subject;
    const char* name;
  } cases[] = {
      {"Gr\u00fc\u00dfe aus K\u00f6ln",               "Zo\u00eb \u00abCrew\u00bb"         },
      {"\u65e5\u672c\u8a9e\u306e\u4ef6\u540d \u2603", "\u5c71\u7530 \u592a\u90ce via Crew"},
      {"plain ascii, \"quotes\" and (parens)",        "O'Brien, Pat (via Crew)"           },
      {"=?UTF-8?Q?looks_encoded?= already",           "=?x?"                              },
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.subject) {
      auto headers = outgoing_headers();
      headers.message.subject = c.subject;
      headers.message.from.display_name = c.name;
      const auto message = test::value_of(list::build_text_message(headers, "x"));
      check_lines(message);
      const auto post = test::value_of(list::parse_post(message));
      BOOST_TEST(post.headers.subject == c.subject);
      BOOST_TEST(post.headers.from.display_name == c.name);
      BOOST_TEST(post.headers.from.address == "crew@lists.example.org");
    }
  }
}

BOOST_AUTO_TEST_CASE(header_injection_creates_no_header) {
  auto headers = outgoing_headers();
  headers.message.subject = "Subject\r\nBcc: victim@example.org";
  headers.message.from.display_name = "Alice\r\nBcc: victim@example.org";
  headers.list.name = "Crew\nBcc: victim@example.org";
  headers.precedence = "list\r\nBcc: victim@example.org";
  const auto message = test::value_of(list::build_text_message(headers, "body\r\nBcc: x\r\n"));
  BOOST_TEST(!contains(message.substr(0, message.find("\r\n\r\n")), "\nBcc"));
  const auto post = test::value_of(list::parse_post(message));
  BOOST_TEST(post.headers.subject == "Subject Bcc: victim@example.org");

  const struct {
    const char* name;
    void (*spoil)(list::OutgoingHeaders&);
  } refused[] = {
      {"address",
       [](list::OutgoingHeaders& h) { h.message.to[0].address = "a@b.org\r\nBcc: x@y.org"; }  },
      {"message id",  [](list::OutgoingHeaders& h) { h.message.message_id = "a@b\r\nBcc: x"; }},
      {"reference",   [](list::OutgoingHeaders& h) { h.message.references.push_back("a b"); } },
      {"list id",     [](list::OutgoingHeaders& h) { h.list.id = "crew\r\nBcc: x"; }          },
      {"uri",         [](list::OutgoingHeaders& h) { h.list.help = "mailto:x\r\nBcc: y"; }    },
      {"fingerprint", [](list::OutgoingHeaders& h) { h.keys.fingerprint = "ABCD\r\nBcc: x"; } },
      {"key url",     [](list::OutgoingHeaders& h) { h.keys.key_url = "https://x/ y"; }       },
      {"no key",      [](list::OutgoingHeaders& h) { h.keys.autocrypt_key.clear(); }          },
  };
  for (const auto& c : refused) {
    BOOST_TEST_CONTEXT(c.name) {
      auto spoiled = outgoing_headers();
      c.spoil(spoiled);
      const auto result = list::build_text_message(spoiled, "x");
      BOOST_REQUIRE(!result.has_value());
      BOOST_TEST((result.error().severity == util::Severity::permanent));
    }
  }
}

BOOST_AUTO_TEST_CASE(list_post_no_and_long_values) {
  auto headers = outgoing_headers();
  headers.list.post.clear();
  headers.message.subject = std::string(3000, 's');
  headers.message.references.assign(200, "some-long-message-id-0123456789@example.org");
  const auto message = test::value_of(list::build_text_message(headers, std::string(5000, 'x')));
  check_lines(message);
  auto parsed = gmime_parse(message);
  BOOST_TEST(header(parsed.get(), "List-Post") == "NO");
  const auto post = test::value_of(list::parse_post(message));
  BOOST_TEST(post.headers.subject == std::string(3000, 's'));
  BOOST_TEST(post.headers.references.size() == 200U);
}

BOOST_AUTO_TEST_CASE(builders_refuse_unusable_input) {
  BOOST_TEST(!list::build_signed_entity("a\nb", "-----BEGIN PGP SIGNATURE-----", "pgp-sha256")
                  .has_value());
  BOOST_TEST(!list::build_signed_entity("a\r\n", "not a signature", "pgp-sha256").has_value());
  BOOST_TEST(!list::build_signed_entity("a\r\n", "-----BEGIN PGP SIGNATURE-----", "sha256\r\nX")
                  .has_value());
  BOOST_TEST(!list::build_encrypted_message(outgoing_headers(), "\x01\x02 binary").has_value());
  BOOST_TEST(!list::build_inner_entity(protected_headers(), "note", "").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
