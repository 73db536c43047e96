#include <algorithm>
#include <array>
#include <list/address.hpp>
#include <list/mime/builder.hpp>
#include <list/mime/entity.hpp>
#include <list/mime/gmime_ptr.hpp>
#include <list/mime/headers.hpp>
#include <list/mime/reader.hpp>
#include <random>

namespace list {

using mime_detail::GCharPtr;
using mime_detail::take_string;

namespace {

// RFC 2045 6.7: encoded lines are at most 76 characters.
constexpr std::size_t k_qp_width = 76;
// RFC 5322 2.1.1.
constexpr std::size_t k_max_line = 998;
constexpr std::size_t k_keydata_width = 76;

struct DateTimeUnref {
  void operator()(GDateTime* date) const { g_date_time_unref(date); }
};

std::string now_rfc5322() {
  std::unique_ptr<GDateTime, DateTimeUnref> now(g_date_time_new_now_utc());
  return take_string(GCharPtr(g_mime_utils_header_format_date(now.get())));
}

// A boundary that does not occur in any of `bodies` (RFC 2046 5.1.1).
std::string make_boundary(std::initializer_list<std::string_view> bodies) {
  static constexpr std::string_view k_chars =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device device;
  std::uniform_int_distribution<std::size_t> pick(0, k_chars.size() - 1);
  for (;;) {
    std::string boundary = "=-lifeline-";
    for (int i = 0; i < 24; ++i) {
      boundary += k_chars[pick(device)];
    }
    if (std::none_of(bodies.begin(), bodies.end(), [&](std::string_view body) {
          return body.find(boundary) != std::string_view::npos;
        })) {
      return boundary;
    }
  }
}

// True when `text` may travel as 7bit as it is: ASCII without NUL, CRLF
// line ends only, lines within `width`.
bool is_7bit(std::string_view text, std::size_t width) {
  std::size_t column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') {
        return false;
      }
      ++i;
      column = 0;
      continue;
    }
    if (byte == '\n' || byte == 0 || byte > 127 || ++column > width) {
      return false;
    }
  }
  return true;
}

// Sets a 7bit-safe encoding on every 8bit or binary leaf; GMime's own
// g_mime_object_encode leaves parts declared binary alone.
void encode_leaves(GMimeObject* object, int depth) {
  if (depth > 64) {
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    auto* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      encode_leaves(g_mime_multipart_get_part(multipart, i), depth + 1);
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    auto* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (message != nullptr && g_mime_message_get_mime_part(message) != nullptr) {
      encode_leaves(g_mime_message_get_mime_part(message), depth + 1);
    }
  } else if (GMIME_IS_PART(object)) {
    auto* part = GMIME_PART(object);
    const auto encoding = g_mime_part_get_content_encoding(part);
    if (encoding != GMIME_CONTENT_ENCODING_BASE64 &&
        encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
        encoding != GMIME_CONTENT_ENCODING_UUENCODE) {
      g_mime_part_set_content_encoding(
          part, g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT));
    }
  }
}

// The entity with every 8bit or binary leaf re-encoded as quoted-printable
// or base64 (GMime picks per part), written back with CRLF. RFC 3156 3:
// signed data must be 7bit, or relays that downgrade 8bit break signatures.
std::string as_7bit(const std::string& entity) {
  mime_detail::GObjectPtr<GMimeStream> in(
      g_mime_stream_mem_new_with_buffer(entity.data(), entity.size()));
  mime_detail::GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(in.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  mime_detail::GObjectPtr<GMimeObject> object(g_mime_parser_construct_part(parser.get(), nullptr));
  if (!object) {
    return entity;
  }
  encode_leaves(object.get(), 0);
  mime_detail::FormatOptionsPtr options(g_mime_format_options_new());
  g_mime_format_options_set_newline_format(options.get(), GMIME_NEWLINE_FORMAT_DOS);
  mime_detail::GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
  if (g_mime_object_write_to_stream(object.get(), options.get(), out.get()) < 0) {
    return entity;
  }
  auto* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  return to_crlf(std::string_view(reinterpret_cast<const char*>(bytes->data), bytes->len));
}

bool has_bare_line_end(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
      return true;
    }
    if (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) {
      return true;
    }
  }
  return false;
}

// Quoted-printable (RFC 2045 6.7) of CRLF text, line by line. Trailing
// white space and a leading "From " are encoded too, so that no relay or
// mbox on the way can change signed text.
std::string quoted_printable(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find("\r\n", start);
    const bool last = end == std::string_view::npos;
    const auto line = text.substr(start, last ? std::string_view::npos : end - start);
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      const bool encode = byte == '=' || byte > 126 || (byte < 32 && byte != '\t') ||
                          ((byte == ' ' || byte == '\t') && at_end) ||
                          (i == 0 && line.substr(0, 5) == "From ") ||
                          (i == 0 && byte == '.' && line.size() == 1);
      const std::size_t width = encode ? 3 : 1;
      // Leave room for the soft break "=" unless this is the line's end.
      if (column + width > (at_end ? k_qp_width : k_qp_width - 1)) {
        out += "=\r\n";
        column = 0;
      }
      if (encode) {
        out += '=';
        out += k_hex[byte >> 4];
        out += k_hex[byte & 15];
      } else {
        out += static_cast<char>(byte);
      }
      column += width;
    }
    out += "\r\n";
    if (last) {
      break;
    }
    start = end + 2;
  }
  return out;
}

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
  });
}

util::Result<std::string> message_fields(const MessageHeaders& headers) {
  std::string out;
  out += unstructured_field("Date", headers.date.empty() ? now_rfc5322() : headers.date);
  auto from = mailbox_field("From", std::span<const Mailbox>(&headers.from, 1));
  if (!from) {
    return from;
  }
  out += *from;
  auto to = mailbox_field("To", headers.to);
  if (!to) {
    return to;
  }
  out += *to;
  if (headers.reply_to) {
    auto reply_to = mailbox_field("Reply-To", std::span<const Mailbox>(&*headers.reply_to, 1));
    if (!reply_to) {
      return reply_to;
    }
    out += *reply_to;
  }
  out += unstructured_field("Subject", headers.subject);
  auto id = message_id_field("Message-ID", std::span<const std::string>(&headers.message_id, 1));
  if (!id) {
    return id;
  }
  out += *id;
  if (!headers.in_reply_to.empty()) {
    auto in_reply_to =
        message_id_field("In-Reply-To", std::span<const std::string>(&headers.in_reply_to, 1));
    if (!in_reply_to) {
      return in_reply_to;
    }
    out += *in_reply_to;
  }
  if (!headers.references.empty()) {
    auto references = message_id_field("References", headers.references);
    if (!references) {
      return references;
    }
    out += *references;
  }
  return out;
}

util::Result<std::string> list_fields(const ListHeaders& list) {
  if (list.id.empty()) {
    return std::string();
  }
  // RFC 2919 2: list-id is a dot-atom.
  if (!std::all_of(list.id.begin(), list.id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
      })) {
    return util::permanent("List-Id: not a dot-atom");
  }
  std::string out;
  const std::string name = sanitize_header_text(list.name);
  std::string phrase;
  if (!name.empty()) {
    mime_detail::FormatOptionsPtr options(g_mime_format_options_new());
    phrase = take_string(
        GCharPtr(g_mime_utils_header_encode_phrase(options.get(), name.c_str(), "utf-8")));
  }
  const std::vector<std::string> id_items =
      phrase.empty() ? std::vector<std::string>{"<" + list.id + ">"}
                     : std::vector<std::string>{phrase, "<" + list.id + ">"};
  out += folded_field("List-Id", id_items);
  struct UriField {
    std::string_view name;
    const std::string* uri;
  };
  if (list.post.empty()) {
    out += "List-Post: NO\r\n"; // RFC 2369 3.4: posting not allowed
  } else {
    auto post = uri_field("List-Post", std::span<const std::string>(&list.post, 1));
    if (!post) {
      return post;
    }
    out += *post;
  }
  for (const auto& [field, uri] : {
           UriField{"List-Help",  &list.help },
           UriField{"List-Owner", &list.owner}
  }) {
    if (uri->empty()) {
      continue;
    }
    auto built = uri_field(field, std::span<const std::string>(uri, 1));
    if (!built) {
      return built;
    }
    out += *built;
  }
  if (!list.unsubscribe.empty()) {
    auto unsubscribe = uri_field("List-Unsubscribe", list.unsubscribe);
    if (!unsubscribe) {
      return unsubscribe;
    }
    out += *unsubscribe;
    if (list.one_click_unsubscribe) {
      out += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"; // RFC 8058 3.1
    }
  }
  return out;
}

// The base64 of the key's binary packets, from binary input or one armored
// block; empty when the armor holds no base64.
std::string key_base64(std::string_view key) {
  std::string binary;
  if (key.find("-----BEGIN PGP PUBLIC KEY BLOCK-----") != std::string_view::npos) {
    const std::string text = to_crlf(key.substr(key.find("-----BEGIN PGP PUBLIC KEY BLOCK-----")));
    // Armor headers end at the first blank line; the body ends at the
    // checksum line ("=XXXX") or the END line.
    const auto body_start = text.find("\r\n\r\n");
    if (body_start == std::string::npos) {
      return {};
    }
    std::string base64;
    std::size_t pos = body_start + 4;
    while (pos < text.size()) {
      auto end = text.find("\r\n", pos);
      if (end == std::string::npos) {
        end = text.size();
      }
      const auto line = std::string_view(text).substr(pos, end - pos);
      if (line.starts_with("=") || line.starts_with("-----")) {
        break;
      }
      base64 += line;
      pos = end + 2;
    }
    gsize length = 0;
    std::unique_ptr<guchar, mime_detail::GFree> decoded(g_base64_decode(base64.c_str(), &length));
    binary.assign(reinterpret_cast<const char*>(decoded.get()), length);
  } else {
    binary.assign(key);
  }
  if (binary.empty()) {
    return {};
  }
  return take_string(
      GCharPtr(g_base64_encode(reinterpret_cast<const guchar*>(binary.data()), binary.size())));
}

util::Result<std::string> key_fields(const KeyHeaders& keys) {
  std::string out;
  if (!keys.fingerprint.empty()) {
    if (!is_hex(keys.fingerprint) || keys.fingerprint.size() < 16 || keys.fingerprint.size() > 64) {
      return util::permanent("OpenPGP: the fingerprint is not hexadecimal");
    }
    std::vector<std::string> items{"id=" + keys.fingerprint + ";"};
    if (!keys.key_url.empty()) {
      if (std::any_of(keys.key_url.begin(), keys.key_url.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte <= 0x20 || byte >= 0x7f || c == ';' || c == '"';
          })) {
        return util::permanent("OpenPGP: the key URL is not usable in a header");
      }
      items.push_back("url=" + keys.key_url + ";");
    }
    items.emplace_back("preference=signencrypt");
    out += folded_field("OpenPGP", items);
  }
  if (!keys.autocrypt_address.empty()) {
    auto address = normalise_address(keys.autocrypt_address);
    if (!address) {
      return util::permanent("Autocrypt: " + address.error().message);
    }
    const std::string keydata = key_base64(keys.autocrypt_key);
    if (keydata.empty()) {
      return util::permanent("Autocrypt: no key data");
    }
    // Autocrypt Level 1 2.1: keydata is base64, wrapped with folding white
    // space, which readers remove.
    out += "Autocrypt: addr=" + *address + "; prefer-encrypt=mutual; keydata=\r\n";
    for (std::size_t pos = 0; pos < keydata.size(); pos += k_keydata_width) {
      out += " " + keydata.substr(pos, k_keydata_width) + "\r\n";
    }
  }
  return out;
}

util::Result<std::string> outgoing_fields(const OutgoingHeaders& headers) {
  auto message = message_fields(headers.message);
  if (!message) {
    return message;
  }
  auto list = list_fields(headers.list);
  if (!list) {
    return list;
  }
  auto keys = key_fields(headers.keys);
  if (!keys) {
    return keys;
  }
  std::string out = *message + *list;
  if (!headers.precedence.empty()) {
    out += unstructured_field("Precedence", headers.precedence);
  }
  if (!headers.auto_submitted.empty()) {
    out += unstructured_field("Auto-Submitted", headers.auto_submitted);
  }
  out += *keys;
  out += "MIME-Version: 1.0\r\n";
  return out;
}

// Armored OpenPGP data must travel as 7bit within the line limit.
util::Result<std::string> armored(std::string_view data, std::string_view begin,
                                  std::string_view what) {
  std::string text = to_crlf(data);
  while (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  }
  if (text.find(begin) == std::string::npos || !is_7bit(text, k_max_line)) {
    return util::permanent(std::string(what) + " is not ASCII-armored OpenPGP data");
  }
  return text;
}

} // namespace

std::string build_text_entity(std::string_view text) {
  std::string clean(text);
  std::replace(clean.begin(), clean.end(), '\0', ' ');
  GCharPtr valid(g_utf8_make_valid(clean.data(), static_cast<gssize>(clean.size())));
  std::string body = to_crlf(valid.get());
  if (!body.ends_with("\r\n")) {
    body += "\r\n";
  }
  const bool plain = is_7bit(body, k_qp_width) && body.find(" \r\n") == std::string::npos &&
                     body.find("\t\r\n") == std::string::npos && !body.starts_with("From ") &&
                     body.find("\r\nFrom ") == std::string::npos;
  std::string out = "Content-Type: text/plain; charset=utf-8\r\n";
  if (plain) {
    out += "Content-Transfer-Encoding: 7bit\r\n\r\n" + body;
  } else {
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + quoted_printable(body);
  }
  return out;
}

util::Result<std::string> build_inner_entity(const MessageHeaders& protected_headers,
                                             std::string_view note, std::string_view content) {
  auto fields = message_fields(protected_headers);
  if (!fields) {
    return fields;
  }
  std::string kept = to_crlf(content);
  if (kept.empty()) {
    return util::permanent("the post has no content to send");
  }
  if (!is_7bit(kept, k_max_line)) {
    kept = as_7bit(kept);
  }
  const std::string note_entity = build_text_entity(note);
  const std::string boundary = make_boundary({kept, note_entity});
  // Protected headers (draft-autocrypt-lamps-protected-headers): the fields
  // sit in the header block of the top entity inside the encryption.
  std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary +
                    "\";\r\n protected-headers=\"v1\"\r\n";
  out += *fields;
  out += "\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Disposition: inline\r\n" + note_entity;
  out += "\r\n--" + boundary + "\r\n";
  out += kept;
  if (!out.ends_with("\r\n")) {
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  // The signed wrapper adds one more level; members' copies must stay
  // within what readers (ours included) accept. Checked on the result, as
  // re-encoding may change how a malformed content entity parses.
  if (auto nesting = check_mime_nesting(out, k_max_mime_depth - 1); !nesting) {
    return util::permanent("the post's content cannot be redistributed: " +
                           nesting.error().message);
  }
  return out;
}

util::Result<std::string> build_signed_entity(std::string_view signed_entity,
                                              std::string_view detached_signature,
                                              std::string_view micalg) {
  if (signed_entity.empty() || has_bare_line_end(signed_entity)) {
    return util::permanent("the entity to sign must be non-empty with CRLF line ends only");
  }
  if (micalg.size() < 5 || !micalg.starts_with("pgp-") ||
      !std::all_of(micalg.begin() + 4, micalg.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); })) {
    return util::permanent("micalg must be \"pgp-\" and a lowercase hash name");
  }
  auto signature = armored(detached_signature, "-----BEGIN PGP SIGNATURE-----", "the signature");
  if (!signature) {
    return signature;
  }
  const std::string boundary = make_boundary({signed_entity, *signature});
  std::string out = "Content-Type: multipart/signed; micalg=\"" + std::string(micalg) +
                    "\";\r\n protocol=\"application/pgp-signature\";\r\n boundary=\"" + boundary +
                    "\"\r\n\r\n";
  out += "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n";
  out += "--" + boundary + "\r\n";
  out += signed_entity;
  out += "\r\n--" + boundary + "\r\n";
  out += "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
         "Content-Description: OpenPGP digital signature\r\n"
         "Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n";
  out += *signature;
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

util::Result<std::string> build_encrypted_message(const OutgoingHeaders& headers,
                                                  std::string_view ciphertext) {
  auto fields = outgoing_fields(headers);
  if (!fields) {
    return fields;
  }
  auto armor = armored(ciphertext, "-----BEGIN PGP MESSAGE-----", "the ciphertext");
  if (!armor) {
    return armor;
  }
  const std::string boundary = make_boundary({*armor});
  std::string out = *fields;
  out += "Content-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\";\r\n"
         " boundary=\"" +
         boundary + "\"\r\n\r\n";
  out += "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: application/pgp-encrypted\r\n"
         "Content-Description: PGP/MIME version identification\r\n\r\n"
         "Version: 1\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
         "Content-Description: OpenPGP encrypted message\r\n"
         "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n";
  out += *armor;
  out += "\r\n\r\n--" + boundary + "--\r\n";
  return out;
}

util::Result<std::string> build_plain_signed_message(const OutgoingHeaders& headers,
                                                     std::string_view signed_entity) {
  if (!starts_with_ignoring_case(signed_entity, "Content-Type: multipart/signed;") ||
      has_bare_line_end(signed_entity)) {
    return util::permanent("not a multipart/signed entity from build_signed_entity");
  }
  auto fields = outgoing_fields(headers);
  if (!fields) {
    return fields;
  }
  return *fields + std::string(signed_entity);
}

util::Result<std::string> build_text_message(const OutgoingHeaders& headers,
                                             std::string_view text) {
  auto fields = outgoing_fields(headers);
  if (!fields) {
    return fields;
  }
  return *fields + build_text_entity(text);
}

} // namespace list
