// Every configuration key Lifeline reads, in one table: section, name, kind,
// default, bounds and description. Loading validates against it, and the
// README's configuration reference is generated from it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace server {

enum class ConfigKind {
  text,     // free text
  path,     // a file or directory path
  endpoint, // host:port, port 0 = pick a free one
  number,   // an integer within [min, max]
  size,     // bytes, with optional K/M/G suffix, within [min, max]
  seconds,  // an integer number of seconds within [min, max]
  choice,   // one of `choices`
};

struct ConfigSpec {
  std::string_view section;
  std::string_view name;
  ConfigKind kind;
  std::string_view default_value;
  std::int64_t min;
  std::int64_t max;
  std::string_view choices; // "a|b|c" for ConfigKind::choice
  std::string_view description;
};

std::span<const ConfigSpec> config_specs();

const ConfigSpec* find_config_spec(std::string_view section, std::string_view name);

/// The configuration reference as a Markdown table, as README.md carries it.
std::string config_reference_markdown();

} // namespace server
