#include <charconv>
#include <fmt/format.h>
#include <server/config.hpp>
#include <server/config_table.hpp>
#include <server/fatal.hpp>
#include <unistd.h>
#include <util/fd.hpp>

namespace server {

namespace {

std::string joined(std::string_view section, std::string_view key) {
  return fmt::format("{}.{}", section, key);
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool parse_int(std::string_view text, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool parse_size(std::string_view text, std::int64_t& out) {
  std::int64_t multiplier = 1;
  if (!text.empty()) {
    switch (text.back()) {
    case 'K':
    case 'k':
      multiplier = 1024;
      break;
    case 'M':
    case 'm':
      multiplier = 1024 * 1024;
      break;
    case 'G':
    case 'g':
      multiplier = 1024 * 1024 * 1024;
      break;
    default:
      break;
    }
  }
  if (multiplier != 1) {
    text.remove_suffix(1);
  }
  std::int64_t number = 0;
  if (!parse_int(text, number) || number < 0 || number > INT64_MAX / multiplier) {
    return false;
  }
  out = number * multiplier;
  return true;
}

[[noreturn]] void bad_value(const std::string& origin, std::string_view section,
                            std::string_view key, const std::string& why) {
  throw Fatal(fmt::format("{}: [{}] {}: {}", origin, section, key, why));
}

} // namespace

std::string effective_hostname(const Config& config) {
  const std::string& configured = config.text("server", "hostname");
  if (!configured.empty()) {
    return configured;
  }
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0' ? name : "localhost";
}

bool parse_endpoint(std::string_view text, Endpoint& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::int64_t port = 0;
  if (!parse_int(text.substr(colon + 1), port) || port < 0 || port > 65535) {
    return false;
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

std::string validate_config_value(std::string_view section, std::string_view key,
                                  std::string_view value, const std::string& origin) {
  const ConfigSpec* spec = find_config_spec(section, key);
  if (spec == nullptr) {
    bad_value(origin, section, key, "unknown key");
  }
  std::int64_t number = 0;
  switch (spec->kind) {
  case ConfigKind::text:
  case ConfigKind::path:
    if (value.find_first_of("\r\n") != std::string_view::npos) {
      bad_value(origin, section, key, "must be one line");
    }
    return std::string(value);
  case ConfigKind::endpoint: {
    Endpoint endpoint;
    if (!parse_endpoint(value, endpoint)) {
      bad_value(origin, section, key,
                fmt::format("'{}' is not host:port with a port from 0 to 65535", value));
    }
    return std::string(value);
  }
  case ConfigKind::number:
  case ConfigKind::seconds:
    if (!parse_int(value, number)) {
      bad_value(origin, section, key, fmt::format("'{}' is not a whole number", value));
    }
    break;
  case ConfigKind::size:
    if (!parse_size(value, number)) {
      bad_value(origin, section, key,
                fmt::format("'{}' is not a size (bytes, or a number with K, M or G)", value));
    }
    break;
  case ConfigKind::choice: {
    std::string_view rest = spec->choices;
    while (!rest.empty()) {
      const auto bar = rest.find('|');
      if (rest.substr(0, bar) == value) {
        return std::string(value);
      }
      rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    bad_value(origin, section, key, fmt::format("'{}' is not one of {}", value, spec->choices));
  }
  }
  if (number < spec->min || number > spec->max) {
    bad_value(origin, section, key,
              fmt::format("{} is out of range ({} to {})", value, spec->min, spec->max));
  }
  return std::to_string(number);
}

Config::Config() {
  for (const ConfigSpec& spec : config_specs()) {
    m_values[joined(spec.section, spec.name)] =
        validate_config_value(spec.section, spec.name, spec.default_value, "defaults");
  }
}

Config Config::load(const std::string& path, std::vector<std::string>& warnings) {
  auto text = util::read_file(path);
  if (!text) {
    throw Fatal(text.error().message);
  }
  return parse(*text, path, warnings);
}

Config Config::parse(std::string_view text, const std::string& origin,
                     std::vector<std::string>& warnings) {
  Config config;
  std::string section;
  int line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') {
        throw Fatal(
            fmt::format("{}:{}: a section header must look like [name]", origin, line_number));
      }
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      throw Fatal(fmt::format("{}:{}: expected key = value", origin, line_number));
    }
    const std::string_view key = trim(line.substr(0, equals));
    std::string_view value = trim(line.substr(equals + 1));
    // Inline comments after " ;" or " #", as in DESIGN.md's examples.
    for (std::string_view marker : {" ;", " #", "\t;", "\t#"}) {
      if (const auto at = value.find(marker); at != std::string_view::npos) {
        value = trim(value.substr(0, at));
      }
    }
    if (find_config_spec(section, key) == nullptr) {
      warnings.push_back(
          fmt::format("{}:{}: unknown key [{}] {} (ignored)", origin, line_number, section, key));
      continue;
    }
    config.set(section, key, value, origin);
  }
  return config;
}

void Config::set(std::string_view section, std::string_view key, std::string_view value,
                 const std::string& origin) {
  m_values[joined(section, key)] = validate_config_value(section, key, value, origin);
}

const std::string& Config::text(std::string_view section, std::string_view key) const {
  auto found = m_values.find(joined(section, key));
  if (found == m_values.end()) {
    throw Fatal(fmt::format("internal: no configuration key [{}] {}", section, key));
  }
  return found->second;
}

std::int64_t Config::number(std::string_view section, std::string_view key) const {
  return std::stoll(text(section, key));
}

bool Config::yes(std::string_view section, std::string_view key) const {
  return text(section, key) == "yes";
}

Endpoint Config::endpoint(std::string_view section, std::string_view key) const {
  Endpoint out;
  parse_endpoint(text(section, key), out);
  return out;
}

std::string Config::to_ini() const {
  std::string out;
  std::string_view section;
  for (const ConfigSpec& spec : config_specs()) {
    if (spec.section != section) {
      section = spec.section;
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", section);
    }
    out += fmt::format("{} = {}\n", spec.name, text(spec.section, spec.name));
  }
  return out;
}

} // namespace server
