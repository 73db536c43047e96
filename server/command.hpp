// The CLI's command table: each command names its words ("list create"), its
// usage, its options and the function that runs it. Handlers throw Refused
// (exit 1) or UsageError (exit 2); everything else is a bug.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace server {

class Context;

/// The parsed words after the command's own words.
struct Invocation {
  std::vector<std::string> args;
  std::map<std::string, std::string, std::less<>> options; // "--name" -> value
  std::set<std::string, std::less<>> flags;                // "--yes"

  bool flag(std::string_view name) const { return flags.contains(name); }
  std::optional<std::string> option(std::string_view name) const;
};

struct Command {
  std::string_view words;   // "list create"
  std::string_view usage;   // "ADDRESS [--name TEXT]"
  std::string_view summary; // one line for --help
  std::size_t min_args;
  std::size_t max_args;
  std::string_view value_options; // space-separated: "--name --key-type"
  std::string_view flag_options;  // space-separated: "--yes --json"
  void (*run)(Context& context, const Invocation& invocation);
};

// Each group of commands lives in its own file.
std::span<const Command> list_commands();
std::span<const Command> member_commands();
std::span<const Command> user_commands();
std::span<const Command> audit_commands();
std::span<const Command> config_commands();
std::span<const Command> daemon_commands();
std::span<const Command> queue_commands();
std::span<const Command> held_commands();

} // namespace server
