#include <algorithm>
#include <list/address.hpp>
#include <list/mime/builder.hpp>
#include <list/mime/entity.hpp>
#include <list/mime/gmime_ptr.hpp>
#include <list/mime/headers.hpp>
#include <list/mime/reader.hpp>

namespace list {

using mime_detail::GCharPtr;
using mime_detail::GObjectPtr;
using mime_detail::ReferencesPtr;
using mime_detail::take_string;

namespace {

constexpr std::string_view k_begin_message = "-----BEGIN PGP MESSAGE-----";
constexpr std::string_view k_end_message = "-----END PGP MESSAGE-----";
constexpr std::string_view k_begin_signed = "-----BEGIN PGP SIGNED MESSAGE-----";
constexpr std::string_view k_end_signature = "-----END PGP SIGNATURE-----";
constexpr std::string_view k_begin_public_key = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
constexpr std::string_view k_end_public_key = "-----END PGP PUBLIC KEY BLOCK-----";
/// More keys than this in one request is no key update: stop collecting.
constexpr std::size_t k_max_request_keys = 8;

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// The value of a raw field: everything after the colon, unfolded.
std::string field_value(const RawHeader& header) {
  const auto colon = header.field.find(':');
  std::string value;
  for (char c : header.field.substr(colon + 1)) {
    if (c != '\r' && c != '\n') {
      value += c;
    }
  }
  return trim(value);
}

// Counts Content-Type fields naming a composite type anywhere in the input,
// so that nesting is bounded before GMime (which recurses) sees it.
std::size_t count_composites(std::string_view raw) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto end = raw.find('\n', pos);
    if (end == std::string_view::npos) {
      end = raw.size();
    }
    if (starts_with_ignoring_case(raw.substr(pos, end - pos), "content-type:")) {
      // The value may start on a continuation line.
      auto value_start = pos + 13;
      while (value_start < raw.size() && (raw[value_start] == ' ' || raw[value_start] == '\t' ||
                                          raw[value_start] == '\r' || raw[value_start] == '\n')) {
        ++value_start;
      }
      const auto value = raw.substr(value_start, 10);
      if (starts_with_ignoring_case(value, "multipart/") ||
          starts_with_ignoring_case(value, "message/")) {
        ++count;
      }
    }
    pos = end + 1;
  }
  return count;
}

std::size_t depth_of(GMimeObject* object, std::size_t level) {
  if (level > k_max_mime_depth + 1) {
    return level;
  }
  std::size_t deepest = level;
  if (GMIME_IS_MULTIPART(object)) {
    auto* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      deepest = std::max(deepest, depth_of(g_mime_multipart_get_part(multipart, i), level + 1));
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    auto* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (message != nullptr && g_mime_message_get_mime_part(message) != nullptr) {
      deepest = depth_of(g_mime_message_get_mime_part(message), level + 1);
    }
  }
  return deepest;
}

util::Result<void> check_nesting(std::string_view raw) {
  if (count_composites(raw) > k_max_composite_entities) {
    return util::permanent("too many nested MIME entities (more than " +
                           std::to_string(k_max_composite_entities) + ")");
  }
  return {};
}

util::Result<void> check_depth(GMimeObject* top) {
  if (top != nullptr && depth_of(top, 1) > k_max_mime_depth) {
    return util::permanent("MIME entities nested deeper than " + std::to_string(k_max_mime_depth) +
                           " levels");
  }
  return {};
}

GObjectPtr<GMimeStream> memory_stream(std::string_view bytes) {
  return GObjectPtr<GMimeStream>(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
}

// The transfer-decoded content of a leaf part.
std::string decoded_content(GMimeObject* object) {
  if (!GMIME_IS_PART(object)) {
    return {};
  }
  auto* wrapper = g_mime_part_get_content(GMIME_PART(object));
  if (wrapper == nullptr) {
    return {};
  }
  GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(wrapper, out.get()) < 0) {
    return {};
  }
  auto* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string lower_param(GMimeObject* object, const char* name) {
  const char* value = g_mime_object_get_content_type_parameter(object, name);
  return value == nullptr ? std::string() : lowercase(value);
}

bool is_type(GMimeObject* object, const char* type, const char* subtype) {
  auto* content_type = g_mime_object_get_content_type(object);
  return content_type != nullptr && g_mime_content_type_is_type(content_type, type, subtype);
}

std::vector<Mailbox> parse_mailboxes(std::string_view value) {
  std::vector<Mailbox> result;
  const std::string text(value.substr(0, value.find('\0')));
  GObjectPtr<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
  if (!list) {
    return result;
  }
  for (int i = 0; i < internet_address_list_length(list.get()); ++i) {
    auto* address = internet_address_list_get_address(list.get(), i);
    if (!INTERNET_ADDRESS_IS_MAILBOX(address)) {
      continue;
    }
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
    const char* name = internet_address_get_name(address);
    result.push_back(Mailbox{sanitize_header_text(addr == nullptr ? "" : addr),
                             sanitize_header_text(name == nullptr ? "" : name)});
  }
  return result;
}

std::string strip_message_id(std::string_view value) {
  const std::string text(value.substr(0, value.find('\0')));
  return sanitize_header_text(take_string(GCharPtr(g_mime_utils_decode_message_id(text.c_str()))));
}

// The armor block starting with `begin` at a line start through the line
// holding `end`, nullopt when either is missing.
std::optional<std::string> armor_block(std::string_view text, std::string_view begin,
                                       std::string_view end) {
  std::size_t start = text.find(begin);
  while (start != std::string_view::npos && start > 0 && text[start - 1] != '\n') {
    start = text.find(begin, start + 1);
  }
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  const auto stop = text.find(end, start + begin.size());
  if (stop == std::string_view::npos) {
    return std::nullopt;
  }
  auto line_end = text.find('\n', stop);
  line_end = line_end == std::string_view::npos ? text.size() : line_end + 1;
  return std::string(text.substr(start, line_end - start));
}

// Removes a protected-headers parameter from a raw Content-Type field,
// with the ';' before it and any folding between.
std::string without_protected_param(std::string_view field) {
  const std::string lower = lowercase(field);
  const auto at = lower.find("protected-headers");
  if (at == std::string::npos) {
    return std::string(field);
  }
  auto from = lower.rfind(';', at);
  if (from == std::string::npos) {
    return std::string(field);
  }
  auto to = lower.find('=', at);
  if (to == std::string::npos) {
    return std::string(field);
  }
  ++to;
  while (to < lower.size() && (lower[to] == ' ' || lower[to] == '\t')) {
    ++to;
  }
  if (to < lower.size() && lower[to] == '"') {
    const auto close = lower.find('"', to + 1);
    to = close == std::string::npos ? lower.size() : close + 1;
  } else {
    while (to < lower.size() && lower.find_first_of(" \t\r\n;", to) != to) {
      ++to;
    }
  }
  std::string out(field.substr(0, from));
  out += field.substr(to);
  return out;
}

std::optional<ProtectedHeaders> protected_headers_of(const RawEntity& entity) {
  const auto content_type = find_header(entity, "Content-Type");
  if (!content_type) {
    return std::nullopt;
  }
  const std::string value = field_value(*content_type);
  GObjectPtr<GMimeContentType> parsed(g_mime_content_type_parse(nullptr, value.c_str()));
  const char* version =
      parsed ? g_mime_content_type_get_parameter(parsed.get(), "protected-headers") : nullptr;
  if (version == nullptr || lowercase(version) != "v1") {
    return std::nullopt;
  }
  ProtectedHeaders headers;
  if (const auto subject = find_header(entity, "Subject")) {
    headers.subject = decode_header_text(field_value(*subject));
  }
  if (const auto from = find_header(entity, "From")) {
    const auto mailboxes = parse_mailboxes(field_value(*from));
    if (!mailboxes.empty()) {
      headers.from = mailboxes.front();
    }
  }
  if (const auto to = find_header(entity, "To")) {
    headers.to = parse_mailboxes(field_value(*to));
  }
  if (const auto cc = find_header(entity, "Cc")) {
    headers.cc = parse_mailboxes(field_value(*cc));
  }
  return headers;
}

// The boundary parameter of a raw entity's Content-Type.
std::string boundary_of(const RawEntity& entity) {
  const auto content_type = find_header(entity, "Content-Type");
  if (!content_type) {
    return {};
  }
  const std::string value = field_value(*content_type);
  GObjectPtr<GMimeContentType> parsed(g_mime_content_type_parse(nullptr, value.c_str()));
  const char* boundary =
      parsed ? g_mime_content_type_get_parameter(parsed.get(), "boundary") : nullptr;
  return boundary == nullptr ? std::string() : std::string(boundary);
}

std::string mime_type_of(const RawEntity& entity) {
  const auto content_type = find_header(entity, "Content-Type");
  if (!content_type) {
    return "text/plain";
  }
  const std::string value = field_value(*content_type);
  GObjectPtr<GMimeContentType> parsed(g_mime_content_type_parse(nullptr, value.c_str()));
  return parsed ? lowercase(take_string(GCharPtr(g_mime_content_type_get_mime_type(parsed.get()))))
                : std::string();
}

// The signed part and signature of a top-level multipart/signed whose GMime
// object is `object` and raw text is `raw`.
util::Result<DetachedSignature> detached_signature(GMimeObject* object, std::string_view raw) {
  const auto protocol = lower_param(object, "protocol");
  if (protocol != "application/pgp-signature") {
    return util::permanent("multipart/signed with protocol \"" + protocol +
                           "\", not application/pgp-signature");
  }
  auto* multipart = GMIME_MULTIPART(object);
  const auto entity = split_entity(raw);
  const auto parts = split_multipart(entity.body, boundary_of(entity));
  if (!parts || parts->parts.size() < 2 || g_mime_multipart_get_count(multipart) < 2) {
    return util::permanent("multipart/signed without a signed part and a signature part");
  }
  DetachedSignature result;
  result.signed_bytes = to_crlf(parts->parts[0]);
  result.signature = decoded_content(g_mime_multipart_get_part(multipart, 1));
  result.micalg = lower_param(object, "micalg");
  if (result.signature.find("-----BEGIN PGP SIGNATURE-----") == std::string::npos) {
    return util::permanent("multipart/signed whose second part is no OpenPGP signature");
  }
  return result;
}

// The first text/plain leaf, depth first, not looking into attached messages.
GMimeObject* first_text_part(GMimeObject* object, std::size_t level) {
  if (object == nullptr || level > k_max_mime_depth) {
    return nullptr;
  }
  if (GMIME_IS_MULTIPART(object)) {
    auto* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      if (auto* found = first_text_part(g_mime_multipart_get_part(multipart, i), level + 1)) {
        return found;
      }
    }
    return nullptr;
  }
  return GMIME_IS_PART(object) && is_type(object, "text", "plain") ? object : nullptr;
}

std::string header_text(GMimeObject* object, const char* name) {
  const char* value = g_mime_object_get_header(object, name);
  return value == nullptr ? std::string() : sanitize_header_text(value);
}

PostHeaders read_headers(GMimeMessage* message) {
  auto* object = GMIME_OBJECT(message);
  PostHeaders headers;
  if (auto* from = g_mime_message_get_from(message)) {
    for (int i = 0; i < internet_address_list_length(from); ++i) {
      auto* address = internet_address_list_get_address(from, i);
      if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
        const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
        const char* name = internet_address_get_name(address);
        headers.from = Mailbox{sanitize_header_text(addr == nullptr ? "" : addr),
                               sanitize_header_text(name == nullptr ? "" : name)};
        break;
      }
    }
  }
  const auto sender = parse_mailboxes(header_text(object, "Sender"));
  if (!sender.empty()) {
    headers.sender = sender.front().address;
  }
  const std::string return_path = header_text(object, "Return-Path");
  if (!return_path.empty()) {
    std::string path = return_path;
    const auto open = path.find('<');
    const auto close = path.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open) {
      path = path.substr(open + 1, close - open - 1);
    }
    headers.return_path = trim(path);
    headers.null_return_path = headers.return_path.empty();
  }
  if (const char* subject = g_mime_message_get_subject(message)) {
    headers.subject = sanitize_header_text(subject);
  }
  if (const char* id = g_mime_message_get_message_id(message)) {
    headers.message_id = sanitize_header_text(id);
  }
  headers.in_reply_to = strip_message_id(header_text(object, "In-Reply-To"));
  const std::string references = header_text(object, "References");
  if (!references.empty()) {
    ReferencesPtr refs(g_mime_references_parse(nullptr, references.c_str()));
    for (int i = 0; refs && i < g_mime_references_length(refs.get()); ++i) {
      headers.references.push_back(
          sanitize_header_text(g_mime_references_get_message_id(refs.get(), i)));
    }
  }
  headers.date = header_text(object, "Date");
  std::string list_id = header_text(object, "List-Id");
  const auto open = list_id.rfind('<');
  const auto close = list_id.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    list_id = list_id.substr(open + 1, close - open - 1);
  }
  headers.list_id = trim(list_id);
  auto* list = g_mime_object_get_header_list(object);
  for (int i = 0; i < g_mime_header_list_get_count(list); ++i) {
    auto* header = g_mime_header_list_get_header_at(list, i);
    const char* name = g_mime_header_get_name(header);
    const char* value = g_mime_header_get_value(header);
    if (name != nullptr && equals_ignoring_case(name, "X-Loop") && value != nullptr) {
      headers.x_loop.push_back(trim(sanitize_header_text(value)));
    }
  }
  headers.precedence = lowercase(trim(header_text(object, "Precedence")));
  const std::string auto_submitted = header_text(object, "Auto-Submitted");
  headers.auto_submitted = lowercase(trim(auto_submitted.substr(0, auto_submitted.find(';'))));
  if (auto* top = g_mime_message_get_mime_part(message)) {
    if (auto* content_type = g_mime_object_get_content_type(top)) {
      headers.content_type =
          lowercase(take_string(GCharPtr(g_mime_content_type_get_mime_type(content_type))));
    }
  }
  return headers;
}

Automated automation_of(GMimeMessage* message, const PostHeaders& headers) {
  auto* top = g_mime_message_get_mime_part(message);
  if (top != nullptr && is_type(top, "multipart", "report")) {
    const auto report_type = lower_param(top, "report-type");
    if (report_type == "delivery-status") {
      return Automated::delivery_status;
    }
    if (report_type == "disposition-notification") {
      return Automated::auto_reply; // RFC 8098 read receipts
    }
  }
  auto* object = GMIME_OBJECT(message);
  // RFC 3834 5, and the de-facto headers of vacation responders.
  if ((!headers.auto_submitted.empty() && headers.auto_submitted != "no") ||
      headers.precedence == "auto_reply" || g_mime_object_get_header(object, "X-Autoreply") ||
      g_mime_object_get_header(object, "X-Autorespond")) {
    return Automated::auto_reply;
  }
  return Automated::no;
}

// The kept content for a multipart/mixed whose first part is a legacy
// text/rfc822-headers part: that part's Subject, and the entity without it.
std::optional<std::pair<std::string, std::string>> legacy_headers_part(std::string_view raw) {
  const auto entity = split_entity(raw);
  if (mime_type_of(entity) != "multipart/mixed") {
    return std::nullopt;
  }
  const std::string boundary = boundary_of(entity);
  const auto parts = split_multipart(entity.body, boundary);
  if (!parts || parts->parts.empty()) {
    return std::nullopt;
  }
  const auto first = split_entity(parts->parts[0]);
  if (mime_type_of(first) != "text/rfc822-headers") {
    return std::nullopt;
  }
  const auto shown = split_entity(first.body);
  std::string subject;
  if (const auto field = find_header(shown, "Subject")) {
    subject = decode_header_text(field_value(*field));
  }
  std::string rebuilt;
  for (const auto& header : entity.headers) {
    rebuilt += header.field;
  }
  rebuilt += "\r\n";
  for (std::size_t i = 1; i < parts->parts.size(); ++i) {
    rebuilt += "--" + boundary + "\r\n";
    rebuilt += parts->parts[i];
    rebuilt += "\r\n";
  }
  rebuilt += "--" + boundary + "--\r\n";
  return std::make_pair(subject, rebuilt);
}

// Every armored public key block in `text`, in order.
void armored_keys(std::string_view text, std::vector<std::string>& keys) {
  while (keys.size() < k_max_request_keys) {
    auto block = armor_block(text, k_begin_public_key, k_end_public_key);
    if (!block) {
      return;
    }
    const auto at = text.find(*block);
    keys.push_back(std::move(*block));
    text = text.substr(at + keys.back().size());
  }
}

// The request text and keys of `object`'s leaves, depth first.
void collect_request(GMimeObject* object, std::size_t level, RequestBody& body, bool& have_text) {
  if (object == nullptr || level > k_max_mime_depth) {
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    auto* multipart = GMIME_MULTIPART(object);
    for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i) {
      collect_request(g_mime_multipart_get_part(multipart, i), level + 1, body, have_text);
    }
    return;
  }
  if (!GMIME_IS_PART(object)) {
    return; // message/rfc822: a forwarded mail's keys are not the sender's
  }
  const std::string content = decoded_content(object);
  if (is_type(object, "application", "pgp-keys")) {
    const auto before = body.keys.size();
    armored_keys(content, body.keys);
    if (body.keys.size() == before && !content.empty() && body.keys.size() < k_max_request_keys) {
      body.keys.push_back(content); // binary OpenPGP packets
    }
    return;
  }
  if (is_type(object, "text", "*")) {
    armored_keys(content, body.keys);
    if (!have_text && is_type(object, "text", "plain")) {
      body.text = content;
      have_text = true;
    }
  }
}

} // namespace

util::Result<RequestBody> read_request_body(std::string_view content) {
  if (auto nesting = check_nesting(content); !nesting) {
    return tl::unexpected(nesting.error());
  }
  auto stream = memory_stream(content);
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GObjectPtr<GMimeObject> top(g_mime_parser_construct_part(parser.get(), nullptr));
  if (!top) {
    return util::permanent("the request is no MIME entity");
  }
  if (auto depth = check_depth(top.get()); !depth) {
    return tl::unexpected(depth.error());
  }
  RequestBody body;
  bool have_text = false;
  collect_request(top.get(), 1, body, have_text);
  return body;
}

util::Result<void> check_mime_nesting(std::string_view entity, std::size_t max_depth) {
  if (auto nesting = check_nesting(entity); !nesting) {
    return nesting;
  }
  auto stream = memory_stream(entity);
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GObjectPtr<GMimeObject> top(g_mime_parser_construct_part(parser.get(), nullptr));
  if (top && depth_of(top.get(), 1) > max_depth) {
    return util::permanent("MIME entities nested deeper than " + std::to_string(max_depth) +
                           " levels");
  }
  return {};
}

std::string content_entity(std::string_view raw_entity) {
  const auto entity = split_entity(raw_entity);
  std::string out;
  for (const auto& header : entity.headers) {
    if (!keeps_in_content(header.name)) {
      continue;
    }
    std::string field = equals_ignoring_case(header.name, "Content-Type")
                            ? without_protected_param(header.field)
                            : std::string(header.field);
    field = to_crlf(field);
    if (field.size() < 2 || field.compare(field.size() - 2, 2, "\r\n") != 0) {
      field += "\r\n";
    }
    out += field;
  }
  out += "\r\n";
  out += to_crlf(entity.body);
  return out;
}

util::Result<ParsedPost> parse_post(std::string_view raw) {
  if (raw.empty()) {
    return util::permanent("empty message");
  }
  const auto entity = split_entity(raw);
  if (entity.headers.empty()) {
    return util::permanent("not a mail message: no header fields");
  }
  if (auto nesting = check_nesting(raw); !nesting) {
    return tl::unexpected(nesting.error());
  }
  auto stream = memory_stream(raw);
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GObjectPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) {
    return util::permanent("not a mail message: GMime could not parse it");
  }
  auto* top = g_mime_message_get_mime_part(message.get());
  if (auto depth = check_depth(top); !depth) {
    return tl::unexpected(depth.error());
  }

  ParsedPost post;
  post.headers = read_headers(message.get());
  post.automated = automation_of(message.get(), post.headers);

  if (top != nullptr && is_type(top, "multipart", "encrypted")) {
    const auto protocol = lower_param(top, "protocol");
    if (protocol != "application/pgp-encrypted") {
      return util::permanent("multipart/encrypted with protocol \"" + protocol +
                             "\", not application/pgp-encrypted");
    }
    auto* multipart = GMIME_MULTIPART(top);
    if (g_mime_multipart_get_count(multipart) < 2) {
      return util::permanent("multipart/encrypted without its two parts (RFC 3156 section 4)");
    }
    post.format = PostFormat::pgp_mime_encrypted;
    post.ciphertext = decoded_content(g_mime_multipart_get_part(multipart, 1));
    if (post.ciphertext.empty()) {
      return util::permanent("multipart/encrypted whose second part is empty");
    }
    return post;
  }
  if (top != nullptr && is_type(top, "multipart", "signed") &&
      lower_param(top, "protocol") == "application/pgp-signature") {
    auto signature = detached_signature(top, raw);
    if (!signature) {
      return tl::unexpected(signature.error());
    }
    post.format = PostFormat::pgp_mime_signed;
    post.content = content_entity(signature->signed_bytes);
    post.signature = std::move(*signature);
    return post;
  }
  post.content = content_entity(raw);
  if (auto* text = first_text_part(top, 1)) {
    const std::string body = decoded_content(text);
    if (auto block = armor_block(body, k_begin_message, k_end_message)) {
      post.format = PostFormat::inline_encrypted;
      post.ciphertext = std::move(*block);
      post.content.clear();
    } else if (auto signed_block = armor_block(body, k_begin_signed, k_end_signature)) {
      post.format = PostFormat::inline_signed;
      post.clearsigned = std::move(*signed_block);
    }
  }
  return post;
}

util::Result<InnerPost> read_decrypted(std::string_view decrypted) {
  if (decrypted.empty()) {
    return util::permanent("the decrypted post is empty");
  }
  const auto entity = split_entity(decrypted);
  InnerPost inner;
  if (!find_header(entity, "Content-Type")) {
    // Inline PGP: the plaintext is the text itself.
    inner.was_inline = true;
    if (auto block = armor_block(decrypted, k_begin_signed, k_end_signature)) {
      inner.clearsigned = std::move(*block);
    }
    inner.content = build_text_entity(decrypted);
    return inner;
  }
  if (auto nesting = check_nesting(decrypted); !nesting) {
    return tl::unexpected(nesting.error());
  }
  auto stream = memory_stream(decrypted);
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GObjectPtr<GMimeObject> top(g_mime_parser_construct_part(parser.get(), nullptr));
  if (!top) {
    return util::permanent("the decrypted post is no MIME entity");
  }
  if (auto depth = check_depth(top.get()); !depth) {
    return tl::unexpected(depth.error());
  }
  std::string kept(decrypted);
  inner.protected_headers = protected_headers_of(entity);
  if (is_type(top.get(), "multipart", "signed")) {
    auto signature = detached_signature(top.get(), decrypted);
    if (!signature) {
      return tl::unexpected(signature.error());
    }
    // Mutt puts the protected headers on the signed part.
    if (!inner.protected_headers) {
      inner.protected_headers = protected_headers_of(split_entity(signature->signed_bytes));
    }
    kept = signature->signed_bytes;
    inner.signature = std::move(*signature);
  }
  if (auto legacy = legacy_headers_part(kept)) {
    if (!inner.protected_headers) {
      inner.protected_headers = ProtectedHeaders{};
    }
    if (inner.protected_headers->subject.empty()) {
      inner.protected_headers->subject = legacy->first;
    }
    kept = std::move(legacy->second);
  }
  inner.content = content_entity(kept);
  return inner;
}

} // namespace list
