// Reading inbound posts: the outer message as it arrived (format, headers,
// ciphertext or signed bytes) and the MIME entity that decryption yields
// (protected headers, inner signature, content to redistribute).
// Hostile input is expected: anything unusable is a permanent util::Error
// with a one-line reason; nothing here throws or aborts on input.
#pragma once

#include <cstddef>
#include <list/post.hpp>
#include <string_view>
#include <util/result.hpp>

namespace list {

/// Entities nested deeper than this are refused (multipart in multipart ...).
constexpr std::size_t k_max_mime_depth = 32;
/// Multipart and message/* entities per message; bounds GMime's recursion
/// before it parses anything.
constexpr std::size_t k_max_composite_entities = 256;

/// Reads a post as it arrived (RFC 5322 message, CRLF or LF line ends) and
/// tells its format: PGP/MIME encrypted or signed (RFC 3156), inline PGP
/// (the first text/plain part holds an armor block) or plain. Only the top
/// entity decides PGP/MIME. Errors: empty input, no header fields, nesting
/// beyond the limits, or a multipart/encrypted or multipart/signed that
/// lacks its parts.
util::Result<ParsedPost> parse_post(std::string_view raw);

/// Reads what decrypting a post's ciphertext gave: a MIME entity (possibly
/// multipart/signed, possibly with protected headers, Thunderbird, Mutt or
/// legacy text/rfc822-headers style) or, for inline PGP, plain text. Text
/// without a Content-Type field in a header block is taken as inline text.
/// Errors: empty input, nesting beyond the limits, a broken multipart/signed.
util::Result<InnerPost> read_decrypted(std::string_view decrypted);

/// Reads the content entity of a mail to -request@ (ParsedPost::content or
/// InnerPost::content): the text of its first text/plain part and every
/// public key in it (armored blocks in any text part, application/pgp-keys
/// parts), not looking into attached messages. Errors: nesting beyond the
/// limits, or no MIME entity.
util::Result<RequestBody> read_request_body(std::string_view content);

/// Whether `entity` nests at most `max_depth` levels (and within
/// k_max_composite_entities); the builders use it so that what they wrap
/// stays readable by parse_post and read_decrypted.
util::Result<void> check_mime_nesting(std::string_view entity, std::size_t max_depth);

/// The kept content of a raw entity: Content-* header fields only (see
/// keeps_in_content), without a protected-headers parameter, and the body,
/// all CRLF.
std::string content_entity(std::string_view raw_entity);

} // namespace list
