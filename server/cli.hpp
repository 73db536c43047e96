// `lifeline [--config FILE] COMMAND ...`: finds the command in the table,
// parses its options, runs it and maps the outcome to the exit code
// (0 done, 1 refused with one line on stderr, 2 usage error).
#pragma once

#include <iosfwd>

namespace server {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

} // namespace server
