#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <list/address.hpp>

namespace list {

namespace {

// RFC 5322 atext, the characters of a dot-atom's atoms.
bool is_atext(char c) {
  static constexpr std::string_view k_specials = "!#$%&'*+-/=?^_`{|}~";
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         k_specials.find(c) != std::string_view::npos || static_cast<unsigned char>(c) >= 0x80;
}

bool valid_dot_atom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') {
    return false;
  }
  char prev = 0;
  for (char c : text) {
    if (c == '.' ? prev == '.' : !is_atext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool valid_quoted_string(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
    return false;
  }
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      if (++i + 1 >= text.size()) {
        return false;
      }
      continue;
    }
    if (c == '"' || c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

// A domain of LDH labels (RFC 5321 4.1.2), or UTF-8 labels for SMTPUTF8.
bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 255) {
    return false;
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = domain.find('.', start);
    if (end == std::string_view::npos) {
      end = domain.size();
    }
    std::string_view label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      unsigned char u = static_cast<unsigned char>(c);
      if (!(std::isalnum(u) != 0 || c == '-' || u >= 0x80)) {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace

util::Result<std::string> normalise_address(std::string_view address) {
  // RFC 5321 4.5.3.1.3: a path is at most 256 octets including the brackets.
  if (address.empty() || address.size() > 254) {
    return util::permanent(
        fmt::format("'{}' is not a mail address (empty or too long)", address.substr(0, 64)));
  }
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) {
    return util::permanent(fmt::format("'{}' is not a mail address (want local@domain)", address));
  }
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  // RFC 5321 4.5.3.1.1: local part at most 64 octets.
  if (local.size() > 64 || !(valid_dot_atom(local) || valid_quoted_string(local))) {
    return util::permanent(fmt::format("'{}' has an invalid local part", address));
  }
  if (!valid_domain(domain)) {
    return util::permanent(fmt::format("'{}' has an invalid domain", address));
  }
  return fmt::format("{}@{}", local, lowercase(domain));
}

bool same_address(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lowercase(a) == lowercase(b);
}

std::string fold_case(std::string_view address) {
  return lowercase(address);
}

std::string_view local_part(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

std::string_view domain_part(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

} // namespace list
