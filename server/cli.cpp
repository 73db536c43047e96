#include <fmt/format.h>
#include <ostream>
#include <server/cli.hpp>
#include <server/command.hpp>
#include <server/context.hpp>
#include <server/fatal.hpp>
#include <vector>

namespace server {

std::optional<std::string> Invocation::option(std::string_view name) const {
  auto found = options.find(name);
  return found == options.end() ? std::nullopt : std::optional<std::string>(found->second);
}

namespace {

constexpr std::string_view k_version = "lifeline 0.1.0";

std::vector<const Command*> all_commands() {
  std::vector<const Command*> out;
  for (auto group : {daemon_commands(), queue_commands(), list_commands(), member_commands(),
                     user_commands(), audit_commands(), config_commands(), held_commands()}) {
    for (const Command& command : group) {
      out.push_back(&command);
    }
  }
  return out;
}

bool in_words(std::string_view words, std::string_view word) {
  while (!words.empty()) {
    const auto space = words.find(' ');
    if (words.substr(0, space) == word) {
      return true;
    }
    words = space == std::string_view::npos ? std::string_view{} : words.substr(space + 1);
  }
  return false;
}

std::size_t word_count(std::string_view words) {
  return static_cast<std::size_t>(std::count(words.begin(), words.end(), ' ')) + 1;
}

void print_overview(std::ostream& out, std::string_view prefix) {
  out << "usage: lifeline [--config FILE] COMMAND ...\n\ncommands:\n";
  for (const Command* command : all_commands()) {
    if (command->words.starts_with(prefix)) {
      out << fmt::format("  {:<34} {}\n", fmt::format("{} {}", command->words, command->usage),
                         command->summary);
    }
  }
  out << "\nEach command takes --help. Config: --config FILE or $LIFELINE_CONFIG.\n";
}

void print_command_help(std::ostream& out, const Command& command) {
  out << fmt::format("usage: lifeline {} {}\n\n{}\n", command.words, command.usage,
                     command.summary);
}

Invocation parse_invocation(const Command& command, const std::vector<std::string>& words) {
  Invocation invocation;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.starts_with("--") && word.size() > 2) {
      std::string name = word;
      std::optional<std::string> inline_value;
      if (const auto equals = word.find('='); equals != std::string::npos) {
        name = word.substr(0, equals);
        inline_value = word.substr(equals + 1);
      }
      if (in_words(command.value_options, name)) {
        if (!inline_value && i + 1 >= words.size()) {
          throw UsageError(fmt::format("{} needs a value", name));
        }
        invocation.options[name] = inline_value ? *inline_value : words[++i];
      } else if (in_words(command.flag_options, name) && !inline_value) {
        invocation.flags.insert(name);
      } else {
        throw UsageError(fmt::format("unknown option {}", name));
      }
    } else {
      invocation.args.push_back(word);
    }
  }
  if (invocation.args.size() < command.min_args) {
    throw UsageError("missing arguments");
  }
  if (invocation.args.size() > command.max_args) {
    throw UsageError(fmt::format("unexpected argument '{}'", invocation.args[command.max_args]));
  }
  return invocation;
}

} // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> words(argv + 1, argv + argc);
  std::optional<std::string> config_path;
  // Global options come before the command.
  while (!words.empty() && words.front().starts_with("--")) {
    if (words.front() == "--config" && words.size() >= 2) {
      config_path = words[1];
      words.erase(words.begin(), words.begin() + 2);
    } else if (words.front().starts_with("--config=")) {
      config_path = words.front().substr(9);
      words.erase(words.begin());
    } else if (words.front() == "--help" || words.front() == "-h") {
      print_overview(out, "");
      return 0;
    } else if (words.front() == "--version") {
      out << k_version << "\n";
      return 0;
    } else {
      err << fmt::format("lifeline: unknown option {}\n", words.front());
      print_overview(err, "");
      return 2;
    }
  }
  if (words.empty()) {
    print_overview(err, "");
    return 2;
  }

  // The longest command whose words begin the command line.
  const Command* found = nullptr;
  for (const Command* command : all_commands()) {
    const std::size_t count = word_count(command->words);
    if (words.size() < count) {
      continue;
    }
    std::string joined = words[0];
    for (std::size_t i = 1; i < count; ++i) {
      joined += " " + words[i];
    }
    if (joined == command->words && (found == nullptr || count > word_count(found->words))) {
      found = command;
    }
  }
  if (found == nullptr) {
    const bool help = words.size() >= 2 && (words[1] == "--help" || words[1] == "-h");
    std::ostream& stream = help ? out : err;
    if (!help) {
      stream << fmt::format("lifeline: unknown command '{}'\n", words.front());
    }
    print_overview(stream, words.front());
    return help ? 0 : 2;
  }
  std::vector<std::string> rest(words.begin() + static_cast<long>(word_count(found->words)),
                                words.end());
  for (const std::string& word : rest) {
    if (word == "--help" || word == "-h") {
      print_command_help(out, *found);
      return 0;
    }
  }

  try {
    Invocation invocation = parse_invocation(*found, rest);
    Context context(config_path, out, err);
    found->run(context, invocation);
    return 0;
  } catch (const UsageError& error) {
    err << fmt::format("lifeline {}: {}\nusage: lifeline {} {}\n", found->words, error.what(),
                       found->words, found->usage);
    return 2;
  } catch (const Refused& error) {
    err << fmt::format("lifeline: {}\n", error.what());
    return 1;
  } catch (const Fatal& error) {
    err << fmt::format("lifeline: {}\n", error.what());
    return 1;
  }
}

} // namespace server
