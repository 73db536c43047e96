// Startup failures (bad config, bind, schema): thrown as server::Fatal and
// caught once in main, which prints the one line and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace server {

struct Fatal : std::runtime_error {
  explicit Fatal(const std::string& what) : std::runtime_error(what) {}
};

/// A request the operator made that Lifeline refuses: exit 1, one line.
struct Refused : std::runtime_error {
  explicit Refused(const std::string& what) : std::runtime_error(what) {}
};

/// The command line itself is wrong: exit 2 with the usage.
struct UsageError : std::runtime_error {
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

} // namespace server
