// The lifeline binary: all logic lives in the libraries; main only prepares
// process-wide state (GPGME before any thread) and hands over to the CLI.
#include <iostream>
#include <list/crypto/gpg_context.hpp>
#include <server/cli.hpp>

int main(int argc, char** argv) {
  list::initialize_crypto();
  return server::run_cli(argc, argv, std::cout, std::cerr);
}
