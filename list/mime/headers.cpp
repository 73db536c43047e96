#include <algorithm>
#include <array>
#include <list/address.hpp>
#include <list/mime/entity.hpp>
#include <list/mime/gmime_ptr.hpp>
#include <list/mime/headers.hpp>

namespace list {

using mime_detail::FormatOptionsPtr;
using mime_detail::GCharPtr;
using mime_detail::GObjectPtr;
using mime_detail::take_string;

namespace {

// RFC 5322 2.1.1: lines SHOULD stay within 78 characters.
constexpr std::size_t k_fold_width = 78;

constexpr std::array<std::string_view, 18> k_client_headers{
    "Received",
    "User-Agent",
    "X-Mailer",
    "X-Newsreader",
    "X-Originating-IP",
    "X-Originating-Client",
    "X-Forwarded-For",
    "X-Sender",
    "X-Authenticated-Sender",
    "X-Authenticated-User",
    "DKIM-Signature",
    "ARC-Seal",
    "ARC-Message-Signature",
    "ARC-Authentication-Results",
    "Authentication-Results",
    "Return-Receipt-To",
    "Disposition-Notification-To",
    "X-Confirm-Reading-To",
};

FormatOptionsPtr crlf_options() {
  FormatOptionsPtr options(g_mime_format_options_new());
  g_mime_format_options_set_newline_format(options.get(), GMIME_NEWLINE_FORMAT_DOS);
  return options;
}

// GMime's fold functions end with a newline in the options' format; make
// sure the field ends with exactly one CRLF and contains no other bare line
// end (a fold is always CRLF followed by white space).
std::string finish_field(std::string folded) {
  while (!folded.empty() && (folded.back() == '\n' || folded.back() == '\r')) {
    folded.pop_back();
  }
  return to_crlf(folded) + "\r\n";
}

// Appends items to "Name:" separated by `separator`, folding before an item
// that would pass the fold width.
std::string fold_items(std::string_view name, const std::vector<std::string>& items,
                       std::string_view separator) {
  std::string out(name);
  out += ':';
  std::size_t column = out.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string piece = items[i] + (i + 1 < items.size() ? std::string(separator) : "");
    if (i > 0 && column + 1 + piece.size() > k_fold_width) {
      out += "\r\n";
      column = 0;
    }
    out += ' ';
    out += piece;
    column += 1 + piece.size();
  }
  return out + "\r\n";
}

bool is_safe_token(std::string_view text, std::string_view forbidden) {
  return !text.empty() && text.size() <= 900 && std::all_of(text.begin(), text.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f && forbidden.find(c) == std::string_view::npos;
  });
}

// The whole text as base64 encoded words of at most 45 octets each, cut at
// UTF-8 character boundaries (RFC 2047 5(3): no split characters).
std::string encode_all(std::string_view text) {
  constexpr std::size_t k_chunk = 45;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + k_chunk);
    while (end < text.size() && end > start + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    const auto chunk = text.substr(start, end - start);
    GCharPtr base64(g_base64_encode(reinterpret_cast<const guchar*>(chunk.data()), chunk.size()));
    if (!out.empty()) {
      out += ' ';
    }
    out += "=?UTF-8?B?";
    out += base64.get();
    out += "?=";
    start = end;
  }
  return out;
}

} // namespace

std::span<const std::string_view> client_header_names() {
  return k_client_headers;
}

bool is_client_header(std::string_view name) {
  return starts_with_ignoring_case(name, "X-MS-") ||
         std::any_of(k_client_headers.begin(), k_client_headers.end(),
                     [&](std::string_view known) { return equals_ignoring_case(name, known); });
}

bool keeps_in_content(std::string_view name) {
  return starts_with_ignoring_case(name, "Content-") && !is_client_header(name);
}

std::string sanitize_header_text(std::string_view value) {
  std::string text(value);
  // Control characters first, so that g_utf8_make_valid sees no NUL.
  for (auto& c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      c = ' ';
    }
  }
  GCharPtr valid(g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
  std::string out;
  out.reserve(text.size());
  for (const char* p = valid.get(); *p != '\0'; ++p) {
    if (*p == ' ' && (out.empty() || out.back() == ' ')) {
      continue;
    }
    out += *p;
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

std::string unstructured_field(std::string_view name, std::string_view value) {
  const auto options = crlf_options();
  const std::string clean = sanitize_header_text(value);
  // RFC 2047 5(1): text that looks like an encoded word must be encoded
  // itself, or readers would decode it; GMime leaves ASCII alone.
  const std::string encoded =
      clean.find("=?") != std::string::npos
          ? encode_all(clean)
          : take_string(
                GCharPtr(g_mime_utils_header_encode_text(options.get(), clean.c_str(), "utf-8")));
  const std::string line = std::string(name) + ": " + encoded;
  return finish_field(take_string(
      GCharPtr(g_mime_utils_unstructured_header_fold(nullptr, options.get(), line.c_str()))));
}

util::Result<std::string> mailbox_field(std::string_view name, std::span<const Mailbox> mailboxes) {
  if (mailboxes.empty()) {
    return util::permanent(std::string(name) + ": no address given");
  }
  const auto options = crlf_options();
  std::vector<std::string> items;
  for (const auto& mailbox : mailboxes) {
    auto address = normalise_address(mailbox.address);
    if (!address) {
      return util::permanent(std::string(name) + ": " + address.error().message);
    }
    const std::string display = sanitize_header_text(mailbox.display_name);
    GObjectPtr<InternetAddress> item(internet_address_mailbox_new(
        display.empty() ? nullptr : display.c_str(), address->c_str()));
    internet_address_set_charset(item.get(), "utf-8");
    items.push_back(
        take_string(GCharPtr(internet_address_to_string(item.get(), options.get(), TRUE))));
  }
  return fold_items(name, items, ",");
}

util::Result<std::string> message_id_field(std::string_view name,
                                           std::span<const std::string> ids) {
  std::vector<std::string> items;
  for (const auto& id : ids) {
    if (!is_safe_token(id, "<>()[]\\\",;")) {
      return util::permanent(std::string(name) + ": not a usable message ID");
    }
    items.push_back("<" + id + ">");
  }
  if (items.empty()) {
    return util::permanent(std::string(name) + ": no message ID given");
  }
  return fold_items(name, items, "");
}

util::Result<std::string> uri_field(std::string_view name, std::span<const std::string> uris) {
  std::vector<std::string> items;
  for (const auto& uri : uris) {
    if (!is_safe_token(uri, "<>,\"")) {
      return util::permanent(std::string(name) + ": not a usable URI");
    }
    items.push_back("<" + uri + ">");
  }
  if (items.empty()) {
    return util::permanent(std::string(name) + ": no URI given");
  }
  return fold_items(name, items, ",");
}

std::string folded_field(std::string_view name, std::span<const std::string> items) {
  std::vector<std::string> clean;
  for (const auto& item : items) {
    clean.push_back(sanitize_header_text(item));
  }
  return fold_items(name, clean, "");
}

std::string decode_header_text(std::string_view raw) {
  const std::string text(raw.substr(0, raw.find('\0')));
  std::string decoded =
      take_string(GCharPtr(g_mime_utils_header_decode_text(nullptr, text.c_str())));
  return sanitize_header_text(decoded);
}

} // namespace list
