// list::parse_post and list::read_decrypted over the client fixtures
// (decrypted and verified with real gpg) and over hostile input.
#include "mime_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <glib.h>
#include <list/mime/builder.hpp>
#include <list/mime/reader.hpp>

namespace {

using list::Automated;
using list::PostFormat;

struct FixtureCase {
  const char* file;
  PostFormat format;
  const char* from;
  const char* subject;
  const char* message_id;
  Automated automated;
};

const FixtureCase k_fixtures[] = {
    {"pgp-mime-encrypted-signed.eml", PostFormat::pgp_mime_encrypted, "alice@example.org",            "...",
     "tb-1@example.org",                                                                                                                                                           Automated::no},
    {"signed-then-encrypted.eml",     PostFormat::pgp_mime_encrypted, "alice@example.org",            "...",
     "mutt-1@example.org",                                                                                                                                                         Automated::no},
    {"pgp-mime-signed.eml",           PostFormat::pgp_mime_signed,    "alice@example.org",            "Printer in room 2",
     "signed-1@example.org",                                                                                                                                                       Automated::no},
    {"inline-encrypted.eml",          PostFormat::inline_encrypted,   "alice@example.org",            "inline encrypted",
     "inline-enc-1@example.org",                                                                                                                                                   Automated::no},
    {"inline-signed.eml",             PostFormat::inline_signed,      "alice@example.org",            "inline signed",
     "inline-sig-1@example.org",                                                                                                                                                   Automated::no},
    {"plain.eml",                     PostFormat::plain,              "alice@example.org",            "Plain post \u2014 no crypto",
     "plain-1@example.org",                                                                                                                                                        Automated::no},
    {"signed-by-non-member.eml",      PostFormat::pgp_mime_signed,    "alice@example.org",
     "Printer in room 2",                                                                                                            "nonmember-1@example.org",                    Automated::no},
    {"garbage-armor.eml",             PostFormat::pgp_mime_encrypted, "alice@example.org",            "...",
     "garbage-1@example.org",                                                                                                                                                      Automated::no},
    {"encrypted-to-other-key.eml",    PostFormat::pgp_mime_encrypted, "alice@example.org",            "...",
     "other-1@example.org",                                                                                                                                                        Automated::no},
    {"with-attachment.eml",           PostFormat::pgp_mime_encrypted, "alice@example.org",            "...",
     "att-1@example.org",                                                                                                                                                          Automated::no},
    {"dsn-postfix.eml",               PostFormat::plain,              "MAILER-DAEMON@mx.example.net",
     "Undelivered Mail Returned to Sender",                                                                                          "20240514072001.4Xq3AbCdEfz1@mx.example.net",
     Automated::delivery_status                                                                                                                                                                 },
};

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A gpg home holding the list's secret key and the senders' public keys.
struct ListHome {
  test::GpgHome home;
  ListHome() {
    home.import("mail/list-key.secret.asc");
    home.import("keys/valid-cv25519.asc");
    home.import("keys/uid-mismatch.asc");
  }
};

list::InnerPost open_fixture(const ListHome& list_home, const std::string& name) {
  const auto post = test::value_of(list::parse_post(test::mail(name)));
  return test::value_of(list::read_decrypted(list_home.home.decrypt(post.ciphertext)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(reader)

BOOST_AUTO_TEST_CASE(each_fixture_parses_to_its_format_and_headers) {
  for (const auto& c : k_fixtures) {
    BOOST_TEST_CONTEXT(c.file) {
      const auto post = test::value_of(list::parse_post(test::mail(c.file)));
      BOOST_TEST(static_cast<int>(post.format) == static_cast<int>(c.format));
      BOOST_TEST(post.headers.from.address == c.from);
      BOOST_TEST(post.headers.subject == c.subject);
      BOOST_TEST(post.headers.message_id == c.message_id);
      BOOST_TEST(static_cast<int>(post.automated) == static_cast<int>(c.automated));
      const bool encrypted =
          c.format == PostFormat::pgp_mime_encrypted || c.format == PostFormat::inline_encrypted;
      BOOST_TEST(contains(post.ciphertext, "-----BEGIN PGP MESSAGE-----") == encrypted);
      BOOST_TEST(post.content.empty() == encrypted);
      // Client and message headers never reach the kept content's header block.
      const auto content_headers = post.content.substr(0, post.content.find("\r\n\r\n") + 2);
      for (const char* header :
           {"Received:", "User-Agent:", "X-Mailer:", "DKIM-Signature:", "X-Originating-IP:",
            "Disposition-Notification-To:", "Subject:", "MIME-Version:"}) {
        BOOST_TEST(!contains(content_headers, header), header);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(threading_and_sender_headers) {
  const auto post = test::value_of(list::parse_post(test::mail("pgp-mime-encrypted-signed.eml")));
  BOOST_TEST(post.headers.from.display_name == "Alice");
  BOOST_TEST(post.headers.in_reply_to == "parent-1@example.org");
  BOOST_TEST(post.headers.references.size() == 2U);
  BOOST_TEST(post.headers.references.at(0) == "root-0@example.org");
  BOOST_TEST(post.headers.return_path == "alice@example.org");
  BOOST_TEST(!post.headers.null_return_path);
  BOOST_TEST(post.headers.date == "Tue, 14 May 2024 09:12:41 +0200");
  BOOST_TEST(post.headers.content_type == "multipart/encrypted");

  const auto plain = test::value_of(list::parse_post(test::mail("plain.eml")));
  BOOST_TEST(plain.headers.from.display_name == "Al\u00efce M\u00fcller");
  BOOST_TEST(
      plain.content.starts_with("Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"));
  BOOST_TEST(contains(plain.content, "Gr\u00fc\u00dfe"));

  const auto dsn = test::value_of(list::parse_post(test::mail("dsn-postfix.eml")));
  BOOST_TEST(dsn.headers.null_return_path);
  BOOST_TEST(dsn.headers.auto_submitted == "auto-replied");
}

BOOST_AUTO_TEST_CASE(pgp_mime_signed_bytes_verify_with_gpg) {
  ListHome list_home;
  const struct {
    const char* file;
    const char* signer;
  } cases[] = {
      {"pgp-mime-signed.eml",      test::k_alice_fpr  },
      {"signed-by-non-member.eml", test::k_mallory_fpr},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.file) {
      const auto post = test::value_of(list::parse_post(test::mail(c.file)));
      BOOST_REQUIRE(post.signature.has_value());
      BOOST_TEST(post.signature->micalg == "pgp-sha256");
      BOOST_TEST(post.signature->signed_bytes.ends_with("=20"));
      BOOST_TEST(list_home.home.verify(post.signature->signed_bytes, post.signature->signature) ==
                 c.signer);
      // One changed byte and it no longer verifies: the bytes are the proof.
      std::string altered = post.signature->signed_bytes;
      altered.back() = '1';
      BOOST_TEST(list_home.home.verify(altered, post.signature->signature).empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(signed_bytes_with_lf_line_ends_are_canonicalised_to_crlf) {
  std::string raw = test::mail("pgp-mime-signed.eml");
  std::string lf;
  for (char c : raw) {
    if (c != '\r') {
      lf += c;
    }
  }
  ListHome list_home;
  const auto post = test::value_of(list::parse_post(lf));
  BOOST_REQUIRE(post.signature.has_value());
  BOOST_TEST(list_home.home.verify(post.signature->signed_bytes, post.signature->signature) ==
             test::k_alice_fpr);
}

BOOST_AUTO_TEST_CASE(inline_formats_give_their_armor_blocks) {
  ListHome list_home;
  const auto signed_post = test::value_of(list::parse_post(test::mail("inline-signed.eml")));
  BOOST_TEST(signed_post.clearsigned.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"));
  BOOST_TEST(contains(signed_post.clearsigned, "-----END PGP SIGNATURE-----"));
  BOOST_TEST(list_home.home.gpg("--verify '" + list_home.home.file("x") + "'").status != 0);
  test::write_file(list_home.home.file("clear.asc"), signed_post.clearsigned);
  BOOST_TEST(list_home.home.gpg("--verify '" + list_home.home.file("clear.asc") + "'").status == 0);

  const auto inner = open_fixture(list_home, "inline-encrypted.eml");
  BOOST_TEST(inner.was_inline);
  BOOST_TEST(!inner.protected_headers.has_value());
  BOOST_TEST(inner.content.starts_with("Content-Type: text/plain; charset=utf-8\r\n"));
  BOOST_TEST(contains(inner.content, "Inline encrypted body.\r\nSecond line.\r\n"));
}

BOOST_AUTO_TEST_CASE(thunderbird_protected_subject_wins_over_placeholder) {
  ListHome list_home;
  const auto inner = open_fixture(list_home, "pgp-mime-encrypted-signed.eml");
  BOOST_REQUIRE(inner.protected_headers.has_value());
  BOOST_TEST(inner.protected_headers->subject ==
             "Treffen verschoben auf Donnerstag \u2014 Caf\u00e9");
  BOOST_TEST(inner.protected_headers->from.address == "alice@example.org");
  BOOST_TEST(inner.protected_headers->to.size() == 1U);
  BOOST_TEST(!inner.signature.has_value()); // the signature was inside the encryption
  BOOST_TEST(!inner.was_inline);
  BOOST_TEST(inner.content.starts_with("Content-Type: multipart/mixed; "
                                       "boundary=\"------------mix5Hh8Qw2Lz1Ty6Rk0Pc\"\r\n\r\n"));
  BOOST_TEST(!contains(inner.content, "Subject:"));
  BOOST_TEST(!contains(inner.content, "protected-headers"));
  BOOST_TEST(contains(inner.content, "im Caf\u00e9 um 19 Uhr"));
}

BOOST_AUTO_TEST_CASE(mutt_signed_then_encrypted_gives_verifiable_bytes_and_subject) {
  ListHome list_home;
  const auto inner = open_fixture(list_home, "signed-then-encrypted.eml");
  BOOST_REQUIRE(inner.signature.has_value());
  BOOST_TEST(inner.signature->micalg == "pgp-sha256");
  BOOST_TEST(list_home.home.verify(inner.signature->signed_bytes, inner.signature->signature) ==
             test::k_alice_fpr);
  BOOST_REQUIRE(inner.protected_headers.has_value());
  BOOST_TEST(inner.protected_headers->subject == "Keys for the new server");
  BOOST_TEST(inner.content.starts_with("Content-Type: text/plain; charset=us-ascii\r\n"
                                       "Content-Disposition: inline\r\n\r\n"));
  BOOST_TEST(contains(inner.content, "SSH host key fingerprint"));
}

BOOST_AUTO_TEST_CASE(attachment_is_kept) {
  ListHome list_home;
  const auto inner = open_fixture(list_home, "with-attachment.eml");
  BOOST_REQUIRE(inner.protected_headers.has_value());
  BOOST_TEST(inner.protected_headers->subject == "Flyer draft attached");
  BOOST_TEST(contains(inner.content, "Content-Type: image/png; name=\"pixel.png\"\r\n"));
  BOOST_TEST(contains(inner.content, "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"));
}

BOOST_AUTO_TEST_CASE(legacy_rfc822_headers_part_gives_subject_and_is_removed) {
  const std::string decrypted =
      "Content-Type: multipart/mixed; boundary=\"b1\"; protected-headers=\"v1\"\r\n"
      "From: alice@example.org\r\n"
      "\r\n"
      "--b1\r\n"
      "Content-Type: text/rfc822-headers; protected-headers=\"v1\"\r\n"
      "Content-Disposition: inline\r\n"
      "\r\n"
      "Subject: =?UTF-8?Q?Legacy_s=C3=BCbject?=\r\n"
      "\r\n"
      "--b1\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "body\r\n"
      "--b1--\r\n";
  const auto inner = test::value_of(list::read_decrypted(decrypted));
  BOOST_REQUIRE(inner.protected_headers.has_value());
  BOOST_TEST(inner.protected_headers->subject == "Legacy s\u00fcbject");
  BOOST_TEST(!contains(inner.content, "rfc822-headers"));
  BOOST_TEST(contains(inner.content, "--b1\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b1--"));
}

BOOST_AUTO_TEST_CASE(automated_mail_is_recognised) {
  const struct {
    const char* extra_headers;
    Automated expected;
  } cases[] = {
      {"Auto-Submitted: auto-replied\r\n", Automated::auto_reply},
      {"Auto-Submitted: no\r\n",           Automated::no        },
      {"X-Autoreply: yes\r\n",             Automated::auto_reply},
      {"Precedence: auto_reply\r\n",       Automated::auto_reply},
      {"Precedence: bulk\r\n",             Automated::no        }, // loop handling decides, not the reader
      {"Content-Type: multipart/report; report-type=disposition-notification; "
       "boundary=x\r\n",            Automated::auto_reply},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.extra_headers) {
      const std::string raw = std::string("From: a@example.org\r\nSubject: away\r\n") +
                              c.extra_headers + "\r\n--x\r\n\r\nhi\r\n--x--\r\n";
      const auto post = test::value_of(list::parse_post(raw));
      BOOST_TEST(static_cast<int>(post.automated) == static_cast<int>(c.expected));
    }
  }
  const auto loop = test::value_of(list::parse_post(
      "From: a@example.org\r\nList-Id: Crew <crew.lists.example.org>\r\nX-Loop: "
      "crew@lists.example.org\r\nX-Loop: other@example.org\r\nPrecedence: List\r\n\r\nx\r\n"));
  BOOST_TEST(loop.headers.list_id == "crew.lists.example.org");
  BOOST_TEST(loop.headers.x_loop.size() == 2U);
  BOOST_TEST(loop.headers.precedence == "list");
}

std::string nested(std::size_t depth) {
  std::string head = "From: a@example.org\r\nMIME-Version: 1.0\r\n";
  std::string tail;
  for (std::size_t i = 0; i < depth; ++i) {
    head += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
    tail = "\r\n--b" + std::to_string(i) + "--\r\n" + tail;
  }
  return head + "Content-Type: text/plain\r\n\r\ndeep" + tail;
}

BOOST_AUTO_TEST_CASE(nesting_is_capped) {
  // What parses may still be too deep to wrap twice and redistribute.
  const auto deep = test::value_of(list::parse_post(nested(31)));
  list::MessageHeaders headers;
  headers.from = {"crew@lists.example.org", ""};
  headers.to = {
      {"crew@lists.example.org", ""}
  };
  headers.message_id = "x@lists.example.org";
  BOOST_TEST(!list::build_inner_entity(headers, "note", deep.content).has_value());
  const auto shallow = test::value_of(list::parse_post(nested(29)));
  BOOST_TEST(list::build_inner_entity(headers, "note", shallow.content).has_value());

  BOOST_TEST(list::parse_post(nested(10)).has_value());
  for (std::size_t depth : {40U, 100U, 300U, 5000U}) {
    BOOST_TEST_CONTEXT(depth) {
      const auto post = list::parse_post(nested(depth));
      BOOST_REQUIRE(!post.has_value());
      BOOST_TEST((post.error().severity == util::Severity::permanent));
      BOOST_TEST(contains(post.error().message, "nested"));
      BOOST_TEST(!list::read_decrypted(nested(depth).substr(22)).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(hostile_input_gives_clear_errors) {
  const struct {
    const char* name;
    std::string raw;
    const char* error; // "" when the input must parse
  } cases[] = {
      {"empty",                 "",                                    "empty message"                            },
      {"no headers",            "\r\n\r\nhello",                       "no header fields"                         },
      {"binary garbage",        std::string("\x89PNG\r\n\x1a\n\0\0\0", 11),                                         "no header fields"},
      {"encrypted, one part",
       "From: a@example.org\r\nContent-Type: multipart/encrypted; "
       "protocol=\"application/pgp-encrypted\"; boundary=b\r\n\r\n--b\r\n\r\nVersion: "
       "1\r\n--b--\r\n",                                        "two parts"                                                                                           },
      {"encrypted, S/MIME protocol",
       "From: a@example.org\r\nContent-Type: multipart/encrypted; "
       "protocol=\"application/x-pkcs7\"; "
       "boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\n",                                 "not application/pgp-encrypted"                                              },
      {"signed, no boundary",
       "From: a@example.org\r\nContent-Type: multipart/signed; "
       "protocol=\"application/pgp-signature\"; micalg=pgp-sha256\r\n\r\nhello\r\n",                                        "multipart/signed without"                               },
      {"signed, boundary never used",
       "From: a@example.org\r\nContent-Type: multipart/signed; "
       "protocol=\"application/pgp-signature\"; boundary=zz\r\n\r\n--b\r\n\r\nhello\r\n",                                "multipart/signed without"                          },
      {"multipart without boundary",
       "From: a@example.org\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n",                                 ""                                    },
      {"NUL bytes",                       std::string("From: a@exa\0mple.org\r\nSubject: x\0y\r\n\r\nbo\0dy\r\n",                                                  46),
       ""},
      {"bad charset",
       "From: =?x-unknown?Q?B=FCrgin?= <a@example.org>\r\nSubject: =?x-bogus?B?/w==?= "
       "\xff\xfe\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n\xff\r\n",                                                           ""                                                                                         },
      {"huge header",
       "From: a@example.org\r\nSubject: " + std::string(1 << 20,'x') + "\r\n\r\nb\r\n",""},
      {"many headers",
       "From: a@example.org\r\n" +
           [] {
             std::string h;
             for (int i = 0; i < 20000; ++i) {
               h += "X-H: " + std::to_string(i) + "\r\n";
             }
             return h;
           }() +
           "\r\nbody\r\n",                                     ""                                                                                                                                          },
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto post = list::parse_post(c.raw);
      if (*c.error == '\0') {
        BOOST_REQUIRE(post.has_value());
        BOOST_TEST(g_utf8_validate(post->headers.subject.data(),
                                   static_cast<gssize>(post->headers.subject.size()), nullptr));
        BOOST_TEST(g_utf8_validate(post->headers.from.display_name.data(),
                                   static_cast<gssize>(post->headers.from.display_name.size()),
                                   nullptr));
      } else {
        BOOST_REQUIRE(!post.has_value());
        BOOST_TEST(contains(post.error().message, c.error), post.error().message);
      }
    }
  }
  BOOST_TEST(!list::read_decrypted("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
