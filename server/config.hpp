// The daemon's configuration: an INI file validated against the config table.
// A bad value is a server::Fatal "FILE: [section] key: why"; an unknown key is
// a warning naming it. Missing keys take the table's defaults.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace server {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

class Config {
public:
  /// Defaults only: what `demo` and tests start from.
  Config();

  /// Reads and validates `path`; warnings (unknown keys) are appended to `warnings`.
  static Config load(const std::string& path, std::vector<std::string>& warnings);

  /// Parses INI text; `origin` names it in messages.
  static Config parse(std::string_view text, const std::string& origin,
                      std::vector<std::string>& warnings);

  /// Sets one value after validating it (throws Fatal naming `origin`).
  void set(std::string_view section, std::string_view key, std::string_view value,
           const std::string& origin = "config");

  const std::string& text(std::string_view section, std::string_view key) const;
  std::int64_t number(std::string_view section, std::string_view key) const;
  bool yes(std::string_view section, std::string_view key) const;
  Endpoint endpoint(std::string_view section, std::string_view key) const;

  /// The configuration as INI text, every key, for `demo` to write out.
  std::string to_ini() const;

private:
  // "section.key" -> canonical value (sizes in bytes).
  std::map<std::string, std::string, std::less<>> m_values;
};

/// Validates one value for a table entry; returns the canonical form or throws
/// Fatal with "ORIGIN: [section] key: why".
std::string validate_config_value(std::string_view section, std::string_view key,
                                  std::string_view value, const std::string& origin);

/// [server] hostname, or the machine's host name when it is empty: the EHLO
/// name for intake and for the relay, and the Message-ID domain.
std::string effective_hostname(const Config& config);

/// "host:port" split and checked; nullopt-style errors are thrown by callers.
bool parse_endpoint(std::string_view text, Endpoint& out);

} // namespace server
