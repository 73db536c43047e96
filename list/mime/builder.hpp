// Building the messages Lifeline sends: the inner entity every member gets
// inside the encryption, its PGP/MIME signed wrapper, and the full RFC 5322
// messages (encrypted, signed-only, plain text). All output has CRLF line
// ends and lines of at most 998 octets; header values go through the policy
// of list/mime/headers.hpp. Unusable input is a permanent util::Error.
#pragma once

#include <list/post.hpp>
#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

/// The entity every member receives inside the encryption, built once per
/// post: multipart/mixed; protected-headers="v1" whose header block carries
/// `protected_headers` (Subject with the list prefix, From "Alice via Crew",
/// To the list, Date, Message-ID, Reply-To, In-Reply-To, References); first
/// part the caller's `note` (text/plain UTF-8, for the member's eyes only);
/// second part `content` (from ParsedPost/InnerPost::content) unchanged,
/// except that line ends are made CRLF and, when it is not 7bit (8bit or
/// binary parts, lines over 998), its leaves are re-encoded quoted-printable
/// or base64 (RFC 3156 section 3: signed data must survive 7bit transport).
/// Content nested deeper than k_max_mime_depth - 2 is refused: wrapped, it
/// would pass the readers' limit.
util::Result<std::string> build_inner_entity(const MessageHeaders& protected_headers,
                                             std::string_view note, std::string_view content);

/// multipart/signed; protocol="application/pgp-signature" (RFC 3156
/// section 5) around `signed_entity` and `detached_signature` (armored).
/// The crypto layer signs exactly the bytes of `signed_entity` as given
/// (binary mode, no further canonicalisation): they appear unchanged as the
/// first part, between "--BOUNDARY\r\n" and "\r\n--BOUNDARY". `signed_entity`
/// must have CRLF line ends only (build_inner_entity's output does); `micalg`
/// is "pgp-" and the hash name in lower case ("pgp-sha256", "pgp-sha512").
util::Result<std::string> build_signed_entity(std::string_view signed_entity,
                                              std::string_view detached_signature,
                                              std::string_view micalg);

/// One member's message (RFC 3156 section 4): the outer headers, then
/// multipart/encrypted with the "Version: 1" part and the armored
/// `ciphertext` (what encrypting the signed entity gave) as
/// application/octet-stream.
util::Result<std::string> build_encrypted_message(const OutgoingHeaders& headers,
                                                  std::string_view ciphertext);

/// For members without a key when keyless_members = plaintext: the outer
/// headers and build_signed_entity's output as the body.
util::Result<std::string> build_plain_signed_message(const OutgoingHeaders& headers,
                                                     std::string_view signed_entity);

/// A text/plain UTF-8 message (notices, replies): the outer headers and
/// build_text_entity(text).
util::Result<std::string> build_text_message(const OutgoingHeaders& headers, std::string_view text);

/// A text/plain; charset=utf-8 entity holding `text` (invalid UTF-8
/// replaced), 7bit when it can be, else quoted-printable: ready to sign or
/// encrypt.
std::string build_text_entity(std::string_view text);

} // namespace list
