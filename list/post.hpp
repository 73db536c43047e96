// A post as the pipeline sees it: what list/mime read from an inbound message
// (ParsedPost, InnerPost) and what it needs to build outgoing ones
// (MessageHeaders, OutgoingHeaders). Plain values, no MIME library types;
// the functions producing and consuming them report errors as util::Result.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace list {

/// How an inbound post was protected, as found on the wire.
enum class PostFormat {
  pgp_mime_encrypted, // RFC 3156 section 4: multipart/encrypted
  pgp_mime_signed,    // RFC 3156 section 5: multipart/signed, not encrypted
  inline_encrypted,   // text/plain holding -----BEGIN PGP MESSAGE-----
  inline_signed,      // text/plain holding -----BEGIN PGP SIGNED MESSAGE-----
  plain,              // neither signed nor encrypted
};

/// Mail that no member should ever receive (RFC 3464 DSNs, RFC 3834 replies).
enum class Automated { no, delivery_status, auto_reply };

/// One mailbox: an address and its display name (decoded UTF-8, may be empty).
struct Mailbox {
  std::string address;
  std::string display_name;
};

/// A PGP/MIME detached signature and the bytes it signs.
struct DetachedSignature {
  /// The first part of the multipart/signed exactly as it was on the wire:
  /// from the first byte after the opening delimiter line's CRLF up to, not
  /// including, the CRLF before the next delimiter (RFC 3156 section 5 and
  /// RFC 2046 5.1.1). Bare LF line ends are canonicalised to CRLF, so input
  /// that already had CRLF is returned byte for byte. Verify these bytes as
  /// they are (binary, no further canonicalisation).
  std::string signed_bytes;
  std::string signature; // the application/pgp-signature part, decoded (armored)
  std::string micalg;    // lowercased, e.g. "pgp-sha256"
};

/// The outer headers of an inbound post, decoded to UTF-8. Message IDs are
/// given without angle brackets; absent headers are empty.
struct PostHeaders {
  Mailbox from;
  std::string sender;      // Sender: address
  std::string return_path; // Return-Path: address; "" also for "<>" (see null_return_path)
  bool null_return_path = false;
  std::string subject;
  std::string message_id;
  std::string in_reply_to;
  std::vector<std::string> references;
  std::string date;                // as written
  std::string list_id;             // the List-Id identifier, without phrase and brackets
  std::vector<std::string> x_loop; // every X-Loop value
  std::string precedence;          // lowercased: "bulk", "list", "junk", ...
  std::string auto_submitted;      // lowercased: "no", "auto-replied", ...
  std::string content_type;        // lowercased type/subtype: "multipart/encrypted"
};

/// An inbound post as read by list::parse_post.
struct ParsedPost {
  PostFormat format = PostFormat::plain;
  PostHeaders headers;
  Automated automated = Automated::no;
  /// pgp_mime_encrypted, inline_encrypted: the armored OpenPGP message to
  /// decrypt (the second part of the multipart/encrypted, or the armor block
  /// of the text body, transfer-decoded).
  std::string ciphertext;
  /// pgp_mime_signed: the signed part and its signature.
  std::optional<DetachedSignature> signature;
  /// inline_signed: the clearsigned block, from -----BEGIN PGP SIGNED
  /// MESSAGE----- to -----END PGP SIGNATURE-----, transfer-decoded.
  std::string clearsigned;
  /// plain, pgp_mime_signed, inline_signed: the MIME entity to redistribute:
  /// Content-* headers and body, client headers removed (CRLF). For
  /// inline_signed this is a text/plain entity holding the signed text.
  /// Empty for the encrypted formats (see list::read_decrypted).
  std::string content;
};

/// Headers protected inside the encryption (protected-headers="v1").
struct ProtectedHeaders {
  std::string subject; // decoded UTF-8; empty: none given
  Mailbox from;
  std::vector<Mailbox> to;
  std::vector<Mailbox> cc;
};

/// The decrypted payload of an encrypted post, as read by list::read_decrypted.
struct InnerPost {
  /// Set when the payload was signed before encryption (multipart/signed,
  /// Mutt style): verify it; the encryption itself carried no signature.
  std::optional<DetachedSignature> signature;
  /// Set when the payload was inline text holding a clearsigned block.
  std::string clearsigned;
  /// Set when the payload carried protected headers (either the v1 headers
  /// of the top or signed entity, or a legacy text/rfc822-headers part).
  std::optional<ProtectedHeaders> protected_headers;
  /// True when the payload was plain text (inline PGP), not a MIME entity.
  bool was_inline = false;
  /// The MIME entity to redistribute (CRLF), attachments kept; protected and
  /// client headers and any legacy headers part removed. Inline text comes
  /// back wrapped as a text/plain UTF-8 entity.
  std::string content;
};

/// What a mail to -request@ carries, as read by list::read_request_body.
struct RequestBody {
  std::string text;              // the first text/plain part, transfer-decoded
  std::vector<std::string> keys; // each public key found: armored blocks, pgp-keys parts
};

/// The RFC 5322 fields of one built message (or of the protected headers of
/// an inner entity). Values are UTF-8 and are encoded (RFC 2047) and folded
/// by the builder; CR, LF and other control characters are never copied.
struct MessageHeaders {
  Mailbox from;
  std::vector<Mailbox> to;
  std::optional<Mailbox> reply_to;
  std::string date;       // RFC 5322 date-time; empty: now
  std::string message_id; // without angle brackets; required
  std::string subject;
  std::string in_reply_to;             // without angle brackets; empty: omitted
  std::vector<std::string> references; // without angle brackets
};

/// List header fields (RFC 2369, RFC 2919, RFC 8058). URIs without angle
/// brackets ("mailto:crew-help@lists.example.org", "https://...").
struct ListHeaders {
  std::string id;    // List-Id identifier "crew.lists.example.org"; empty: no list headers
  std::string name;  // List-Id phrase "Crew"; may be empty
  std::string post;  // List-Post URI; empty: "List-Post: NO" (announce-only lists)
  std::string help;  // empty: omitted
  std::string owner; // empty: omitted
  std::vector<std::string> unsubscribe; // List-Unsubscribe URIs; empty: omitted
  bool one_click_unsubscribe = false;   // List-Unsubscribe-Post: List-Unsubscribe=One-Click
};

/// Key discovery headers: OpenPGP (draft-josefsson-openpgp-mailnews-header)
/// and Autocrypt (Level 1).
struct KeyHeaders {
  std::string fingerprint;       // OpenPGP: id=FPR; empty: no OpenPGP header
  std::string key_url;           // OpenPGP: url=...; empty: omitted
  std::string autocrypt_address; // Autocrypt: addr=; empty: no Autocrypt header
  /// The list's public key, binary OpenPGP packets or one ASCII-armored
  /// block (dearmored by the builder); Autocrypt wants the minimal key:
  /// primary, one user ID, one encryption subkey.
  std::string autocrypt_key;
};

/// Everything outside the body of a message the list sends.
struct OutgoingHeaders {
  MessageHeaders message; // for encrypted copies the subject is the placeholder
  ListHeaders list;
  KeyHeaders keys;
  std::string precedence = "list"; // empty: omitted
  std::string auto_submitted;      // RFC 3834, "auto-replied" for notices; empty: omitted
};

} // namespace list
