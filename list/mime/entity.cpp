#include <algorithm>
#include <list/mime/entity.hpp>

namespace list {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The line starting at `pos`, including its line end ("\n" or "\r\n"); the
// last line may have none.
std::string_view line_at(std::string_view text, std::size_t pos) {
  const auto end = text.find('\n', pos);
  return text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos + 1);
}

std::string_view without_line_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// A field name is printable US-ASCII except colon (RFC 5322 2.2).
std::optional<std::string_view> field_name(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const auto name = line.substr(0, colon);
  // Trailing blanks before the colon are obsolete syntax (RFC 5322 4.5) but
  // still sent by some software.
  const auto trimmed = name.substr(0, name.find_last_not_of(" \t") + 1);
  if (trimmed.empty() || !std::all_of(trimmed.begin(), trimmed.end(),
                                      [](char c) { return c > ' ' && c < 127 && c != ':'; })) {
    return std::nullopt;
  }
  return trimmed;
}

} // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

RawEntity split_entity(std::string_view raw) {
  RawEntity entity;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const auto line = line_at(raw, pos);
    const auto content = without_line_end(line);
    if (content.empty()) {
      entity.body = raw.substr(pos + line.size());
      return entity;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !entity.headers.empty()) {
      auto& last = entity.headers.back();
      last.field = std::string_view(last.field.data(), last.field.size() + line.size());
    } else if (const auto name = field_name(content)) {
      entity.headers.push_back(RawHeader{*name, line});
    } else {
      break;
    }
    pos += line.size();
  }
  entity.body = raw.substr(pos);
  return entity;
}

std::optional<RawMultipart> split_multipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty()) {
    return std::nullopt;
  }
  RawMultipart result;
  std::optional<std::size_t> part_start; // none before the first delimiter
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const auto line = line_at(body, pos);
    const auto content = without_line_end(line);
    if (content.size() >= boundary.size() + 2 && content.substr(0, 2) == "--" &&
        content.substr(2, boundary.size()) == boundary) {
      auto rest = content.substr(2 + boundary.size());
      const bool close = rest.substr(0, 2) == "--";
      if (close) {
        rest.remove_prefix(2);
      }
      if (is_blank(rest)) {
        // The line end before a delimiter belongs to the delimiter.
        std::size_t end = pos;
        if (end > 0 && body[end - 1] == '\n') {
          --end;
          if (end > 0 && body[end - 1] == '\r') {
            --end;
          }
        }
        if (part_start) {
          result.parts.push_back(body.substr(*part_start, end - std::min(end, *part_start)));
        } else {
          result.preamble = body.substr(0, end);
        }
        part_start = pos + line.size();
        if (close) {
          result.closed = true;
          result.epilogue = body.substr(std::min(body.size(), *part_start));
          return result;
        }
      }
    }
    if (line.empty()) {
      break;
    }
    pos += line.size();
  }
  if (!part_start) {
    return std::nullopt;
  }
  if (*part_start <= body.size()) {
    result.parts.push_back(body.substr(*part_start));
  }
  return result;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<RawHeader> find_header(const RawEntity& entity, std::string_view name) {
  for (const auto& header : entity.headers) {
    if (equals_ignoring_case(header.name, name)) {
      return header;
    }
  }
  return std::nullopt;
}

} // namespace list
