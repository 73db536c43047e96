#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <server/log.hpp>

namespace server {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
std::mutex g_write_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
  case LogLevel::error:
    return "error";
  case LogLevel::warning:
    return "warning";
  case LogLevel::info:
    return "info";
  case LogLevel::debug:
    return "debug";
  }
  return "info";
}
} // namespace

void set_log_level(LogLevel level) {
  g_level = static_cast<int>(level);
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (LogLevel level : {LogLevel::error, LogLevel::warning, LogLevel::info, LogLevel::debug}) {
    if (text == level_name(level)) {
      out = level;
      return true;
    }
  }
  return false;
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) <= g_level.load();
}

void write_log_line(LogLevel level, std::string_view line) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  const std::string text = fmt::format("{} {} {}\n", stamp, level_name(level), line);
  std::lock_guard lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string log_value(std::string_view value) {
  std::string out;
  bool quote = value.empty();
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      quote = quote || c == ' ' || c == '=';
      out += c;
    }
  }
  return quote ? fmt::format("\"{}\"", out) : out;
}

} // namespace server
