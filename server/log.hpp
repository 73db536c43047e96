// One line per event on stderr: "TIME LEVEL event key=value ...". Format
// strings are literals (fmt::format_string), never user input. Never log
// bodies, tokens, passwords or subjects of encrypted posts.
#pragma once

#include <fmt/format.h>
#include <string_view>

namespace server {

enum class LogLevel { error, warning, info, debug };

void set_log_level(LogLevel level);
bool parse_log_level(std::string_view text, LogLevel& out);
bool log_enabled(LogLevel level);
void write_log_line(LogLevel level, std::string_view line);

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) {
    write_log_line(level, fmt::format(format, std::forward<Args>(args)...));
  }
}

/// A value made safe for key=value logs: quoted if it has spaces, controls escaped.
std::string log_value(std::string_view value);

} // namespace server
