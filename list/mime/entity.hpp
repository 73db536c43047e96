// Byte-exact views of a MIME entity's raw text: its header fields, its body
// and a multipart body's parts, as RFC 2045/2046 delimit them. Used where
// bytes must survive untouched (signed parts, kept content). Pure functions
// over string_views into the caller's buffer; malformed input yields empty
// or partial views (or nullopt), never an error or a copy.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace list {

/// One header field: its name and the whole field as written (name, colon,
/// value, continuation lines and the final line end).
struct RawHeader {
  std::string_view name;
  std::string_view field;
};

struct RawEntity {
  std::vector<RawHeader> headers;
  std::string_view body; // after the blank line; all of the input without headers
};

/// Splits an entity at the blank line ending its header block. A line that
/// is neither a field nor a continuation ends the header block too (as GMime
/// reads it); input starting with such a line has no headers at all.
RawEntity split_entity(std::string_view raw);

struct RawMultipart {
  std::string_view preamble;
  std::vector<std::string_view> parts; // without the CRLF before each delimiter
  std::string_view epilogue;
  bool closed = false; // the close delimiter "--boundary--" was found
};

/// Splits a multipart body at the delimiter lines of `boundary` (RFC 2046
/// 5.1.1: a delimiter starts a line; transport padding after it is allowed).
/// nullopt when no delimiter line is found.
std::optional<RawMultipart> split_multipart(std::string_view body, std::string_view boundary);

/// The text with every line end CRLF (bare LF and bare CR become CRLF).
std::string to_crlf(std::string_view text);

/// The first header named `name` (case-insensitive), nullopt when absent.
std::optional<RawHeader> find_header(const RawEntity& entity, std::string_view name);

bool equals_ignoring_case(std::string_view a, std::string_view b);
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix);
std::string lowercase(std::string_view text);

} // namespace list
