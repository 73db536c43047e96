#include <algorithm>
#include <limits>
#include <smtp/address.hpp>

namespace smtp {
namespace {

constexpr std::size_t k_max_local_part = 64; // RFC 5321 4.5.3.1.1
constexpr std::size_t k_max_domain = 255;    // RFC 5321 4.5.3.1.2
constexpr std::size_t k_max_path = 256;      // RFC 5321 4.5.3.1.3, including <>

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_non_ascii(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// RFC 5322 atext, as used by RFC 5321 Atom; RFC 6531 adds UTF-8 octets.
bool is_atext(char c, Utf8 utf8) {
  if (is_alpha(c) || is_digit(c)) {
    return true;
  }
  if (utf8 == Utf8::allowed && is_non_ascii(c)) {
    return true;
  }
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_string(std::string_view s, Utf8 utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') {
    return false;
  }
  char previous = 0;
  for (char c : s) {
    if (c == '.' ? previous == '.' : !is_atext(c, utf8)) {
      return false;
    }
    previous = c;
  }
  return true;
}

// RFC 5321 Quoted-string: qtextSMTP (32-126 minus " and \) or quoted-pairSMTP.
bool is_quoted_string(std::string_view s, Utf8 utf8) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') {
    return false;
  }
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      ++i;
      if (i + 1 >= s.size() || s[i] < 32 || s[i] > 126) {
        return false;
      }
    } else if (c == '"' || (!is_non_ascii(c) && (c < 32 || c > 126)) ||
               (is_non_ascii(c) && utf8 == Utf8::forbidden)) {
      return false;
    }
  }
  return true;
}

// sub-domain = Let-dig [Ldh-str]; RFC 6531 allows U-labels.
bool is_domain(std::string_view s, Utf8 utf8) {
  if (s.empty()) {
    return false;
  }
  std::size_t start = 0;
  while (start <= s.size()) {
    auto dot = s.find('.', start);
    auto label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      bool ok =
          is_alpha(c) || is_digit(c) || c == '-' || (utf8 == Utf8::allowed && is_non_ascii(c));
      if (!ok) {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

// address-literal = "[" ( IPv4 / "IPv6:" IPv6 / General ) "]"; checked loosely
// (dcontent only): we never route on it, the list layer rejects it later.
bool is_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') {
    return false;
  }
  return std::all_of(s.begin() + 1, s.end() - 1, [](char c) {
    return c >= 33 && c <= 126 && c != '[' && c != ']' && c != '\\';
  });
}

// A-d-l = At-domain *( "," At-domain ): RFC 5321 4.1.2 says accept, then ignore.
bool strip_source_route(std::string_view& path, Utf8 utf8) {
  if (path.empty() || path.front() != '@') {
    return true;
  }
  auto colon = path.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  auto route = path.substr(0, colon);
  std::size_t start = 0;
  while (start < route.size()) {
    auto comma = route.find(',', start);
    auto hop = route.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                   : comma - start);
    if (hop.size() < 2 || hop.front() != '@' || !is_domain(hop.substr(1), utf8)) {
      return false;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  path.remove_prefix(colon + 1);
  return true;
}

struct SplitPath {
  std::string_view inner; // between < and >
  std::string_view params;
};

/// Splits "<path> params" after the "FROM:"/"TO:" keyword. A '>' inside a
/// quoted local part must not end the path, so quotes are tracked.
tl::expected<SplitPath, PathError> split_path(std::string_view rest) {
  // Postel: many clients send "MAIL FROM: <a@b>"; Postfix accepts it too.
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  if (rest.empty() || rest.front() != '<') {
    return tl::unexpected(PathError::command_syntax);
  }
  bool quoted = false;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    char c = rest[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      SplitPath split{rest.substr(1, i - 1), rest.substr(i + 1)};
      if (i + 1 > k_max_path) {
        return tl::unexpected(PathError::too_long);
      }
      if (!split.params.empty() && split.params.front() != ' ') {
        return tl::unexpected(PathError::command_syntax);
      }
      return split;
    }
  }
  return tl::unexpected(PathError::command_syntax);
}

tl::expected<std::string, PathError> parse_mailbox(std::string_view inner, Utf8 utf8) {
  if (!strip_source_route(inner, utf8)) {
    return tl::unexpected(PathError::address_syntax);
  }
  auto at = inner.rfind('@');
  if (at == std::string_view::npos) {
    return tl::unexpected(PathError::address_syntax);
  }
  auto local = inner.substr(0, at);
  auto domain = inner.substr(at + 1);
  if (local.size() > k_max_local_part || domain.size() > k_max_domain) {
    return tl::unexpected(PathError::too_long);
  }
  if (!is_valid_mailbox(inner, utf8)) {
    return tl::unexpected(PathError::address_syntax);
  }
  return std::string(inner);
}

struct Parameter {
  std::string_view keyword;
  std::optional<std::string_view> value;
};

/// esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2).
tl::expected<Parameter, PathError> parse_parameter(std::string_view token) {
  auto equals = token.find('=');
  Parameter parameter{token.substr(0, equals), std::nullopt};
  if (parameter.keyword.empty() ||
      !(is_alpha(parameter.keyword[0]) || is_digit(parameter.keyword[0])) ||
      !std::all_of(parameter.keyword.begin(), parameter.keyword.end(),
                   [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; })) {
    return tl::unexpected(PathError::parameter_syntax);
  }
  if (equals != std::string_view::npos) {
    auto value = token.substr(equals + 1);
    // RFC 6531 3.3 extends esmtp-value with UTF-8; '=' and controls stay out.
    if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) {
          return is_non_ascii(c) || (c >= 33 && c <= 126 && c != '=');
        })) {
      return tl::unexpected(PathError::parameter_syntax);
    }
    parameter.value = value;
  }
  return parameter;
}

template <class Visit>
tl::expected<void, PathError> for_each_parameter(std::string_view params, Visit visit) {
  std::size_t start = 0;
  while (start < params.size()) {
    if (params[start] == ' ') {
      ++start;
      continue;
    }
    auto end = params.find(' ', start);
    auto token =
        params.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto parameter = parse_parameter(token);
    if (!parameter) {
      return tl::unexpected(parameter.error());
    }
    if (auto visited = visit(*parameter); !visited) {
      return visited;
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end;
  }
  return {};
}

std::optional<std::uint64_t> parse_size(std::string_view value) {
  if (value.empty() || value.size() > 20 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return is_digit(c); })) {
    return std::nullopt;
  }
  std::uint64_t size = 0;
  for (char c : value) {
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (size > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    size = size * 10 + digit;
  }
  return size;
}

} // namespace

bool is_valid_mailbox(std::string_view mailbox, Utf8 utf8) {
  auto at = mailbox.rfind('@');
  if (at == std::string_view::npos) {
    return false;
  }
  auto local = mailbox.substr(0, at);
  auto domain = mailbox.substr(at + 1);
  bool local_ok = is_dot_string(local, utf8) || is_quoted_string(local, utf8);
  bool domain_ok = is_domain(domain, utf8) || is_address_literal(domain);
  return local_ok && domain_ok;
}

tl::expected<MailFrom, PathError> parse_mail_from(std::string_view argument) {
  if (!starts_with_nocase(argument, "FROM:")) {
    return tl::unexpected(PathError::command_syntax);
  }
  auto split = split_path(argument.substr(5));
  if (!split) {
    return tl::unexpected(split.error());
  }
  MailFrom mail;
  bool seen_size = false;
  bool seen_body = false;
  auto parsed =
      for_each_parameter(split->params, [&](const Parameter& p) -> tl::expected<void, PathError> {
        if (iequals(p.keyword, "SIZE")) {
          auto size = p.value ? parse_size(*p.value) : std::nullopt;
          if (seen_size || !size) {
            return tl::unexpected(PathError::parameter_syntax);
          }
          seen_size = true;
          mail.size = size;
        } else if (iequals(p.keyword, "BODY")) {
          if (seen_body || !p.value) {
            return tl::unexpected(PathError::parameter_syntax);
          }
          seen_body = true;
          if (iequals(*p.value, "7BIT")) {
            mail.body = Body::seven_bit;
          } else if (iequals(*p.value, "8BITMIME")) {
            mail.body = Body::eight_bit_mime;
          } else {
            // BINARYMIME (RFC 3030) needs CHUNKING, which we do not offer.
            return tl::unexpected(PathError::unsupported_parameter);
          }
        } else if (iequals(p.keyword, "SMTPUTF8")) {
          if (mail.smtputf8 || p.value) {
            return tl::unexpected(PathError::parameter_syntax);
          }
          mail.smtputf8 = true;
        } else {
          return tl::unexpected(PathError::unsupported_parameter);
        }
        return {};
      });
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  if (split->inner.empty()) {
    return mail; // the null reverse-path <> (bounces, RFC 5321 4.5.5)
  }
  auto address = parse_mailbox(split->inner, mail.smtputf8 ? Utf8::allowed : Utf8::forbidden);
  if (!address) {
    return tl::unexpected(address.error());
  }
  mail.address = std::move(*address);
  return mail;
}

tl::expected<RcptTo, PathError> parse_rcpt_to(std::string_view argument, Utf8 utf8) {
  if (!starts_with_nocase(argument, "TO:")) {
    return tl::unexpected(PathError::command_syntax);
  }
  auto split = split_path(argument.substr(3));
  if (!split) {
    return tl::unexpected(split.error());
  }
  // No RCPT parameters are offered (no DSN): any one is unsupported.
  auto parsed =
      for_each_parameter(split->params, [](const Parameter&) -> tl::expected<void, PathError> {
        return tl::unexpected(PathError::unsupported_parameter);
      });
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  // RFC 5321 4.5.1: <Postmaster> without a domain MUST be accepted.
  if (iequals(split->inner, "postmaster")) {
    return RcptTo{"postmaster", true};
  }
  if (split->inner.empty()) {
    return tl::unexpected(PathError::address_syntax);
  }
  auto address = parse_mailbox(split->inner, utf8);
  if (!address) {
    return tl::unexpected(address.error());
  }
  return RcptTo{std::move(*address), false};
}

} // namespace smtp
