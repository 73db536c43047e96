#include <smtp/reply.hpp>

namespace smtp {
namespace {

constexpr bool table_is_indexed_by_enum() {
  for (std::size_t i = 0; i < k_replies.size(); ++i) {
    if (static_cast<std::size_t>(k_replies[i].reply) != i) {
      return false;
    }
  }
  return true;
}
static_assert(table_is_indexed_by_enum(), "k_replies rows must follow the order of enum Reply");

/// Arguments come from config, the client or the sink: drop anything that
/// could end the reply line early or forge a second one.
void append_sanitized(std::string& out, std::string_view argument) {
  for (char c : argument) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out.push_back(c);
    }
  }
}

void append_text(std::string& out, std::string_view text, std::string_view argument) {
  auto hole = text.find("{}");
  if (hole == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.append(text.substr(0, hole));
  append_sanitized(out, argument);
  out.append(text.substr(hole + 2));
}

void append_line(std::string& out, const ReplySpec& row, char separator) {
  out.append(std::to_string(row.code));
  out.push_back(separator);
  if (!row.enhanced.empty()) {
    out.append(row.enhanced);
    out.push_back(' ');
  }
}

} // namespace

std::string render(Reply reply, std::string_view argument) {
  const auto& row = spec(reply);
  std::string out;
  append_line(out, row, ' ');
  append_text(out, row.text, argument);
  out.append("\r\n");
  return out;
}

std::string render_multiline(Reply reply, std::string_view argument,
                             std::span<const std::string> more_lines) {
  const auto& row = spec(reply);
  std::string out;
  append_line(out, row, more_lines.empty() ? ' ' : '-');
  append_text(out, row.text, argument);
  out.append("\r\n");
  for (std::size_t i = 0; i < more_lines.size(); ++i) {
    append_line(out, row, i + 1 == more_lines.size() ? ' ' : '-');
    append_sanitized(out, more_lines[i]);
    out.append("\r\n");
  }
  return out;
}

} // namespace smtp
