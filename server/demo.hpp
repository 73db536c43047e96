// `lifeline demo`: a throwaway instance in its own directory (config, data,
// a demo list, three members whose secret keys stay in the demo directory),
// then the daemon, until SIGTERM or Ctrl-C.
#pragma once

#include <csignal>
#include <optional>
#include <string>

namespace server {

class Context;

void run_demo(Context& context, const std::optional<std::string>& dir,
              const std::optional<std::string>& ready_file, const sigset_t& stop_signals);

} // namespace server
