// `lifeline serve` and `lifeline demo`.
#include <csignal>
#include <fmt/format.h>
#include <server/command.hpp>
#include <server/context.hpp>
#include <server/daemon.hpp>
#include <server/demo.hpp>
#include <server/log.hpp>

namespace server {

namespace {

/// Blocks the stop signals in this thread before any other thread exists, so
/// every thread inherits the mask and only sigwait below sees them.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void serve(Context& context, const Invocation& invocation) {
  const sigset_t signals = block_stop_signals();
  list::Store& store = context.store();
  Daemon daemon(context.config(), store);
  const ListeningPorts ports = daemon.start();
  if (auto ready = invocation.option("--ready-file")) {
    write_ready_file(*ready, ports);
  }
  log(LogLevel::info, "lifeline started smtp_port={} web_port={} data_dir={}", ports.smtp,
      ports.web, log_value(context.config().text("server", "data_dir")));
  int signal = 0;
  while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
    log(LogLevel::info, "lifeline sighup ignored=yes");
  }
  log(LogLevel::info, "lifeline stopping signal={}", signal);
  daemon.stop();
  log(LogLevel::info, "lifeline stopped");
}

void demo(Context& context, const Invocation& invocation) {
  const sigset_t signals = block_stop_signals();
  run_demo(context, invocation.option("--dir"), invocation.option("--ready-file"), signals);
}

// clang-format off
constexpr Command k_commands[] = {
  {"serve", "[--ready-file PATH]", "run the daemon; writes {\"smtp\": PORT, \"web\": PORT} to PATH once listening",
   0, 0, "--ready-file", "", serve},
  {"demo", "[--dir PATH] [--ready-file PATH]", "a working local instance with a demo list (a new temporary directory unless --dir)",
   0, 0, "--dir --ready-file", "", demo},
};
// clang-format on

} // namespace

std::span<const Command> daemon_commands() {
  return k_commands;
}

} // namespace server
