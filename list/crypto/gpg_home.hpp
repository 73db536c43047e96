// A list's GnuPG home on disk: created mode 0700 with a gpg.conf and a
// gpg-agent.conf that keep it offline, and reached through a path short enough
// for gpg-agent's sockets. Errors are util::Results (permanent: path or mode).
#pragma once

#include <string>
#include <util/result.hpp>

namespace list {

/// Creates `home` (mode 0700) and its config files if missing, and returns the
/// path to hand to gpg: `home` itself, or a short alias when the agent sockets
/// that GnuPG puts into the home would not fit a socket address.
util::Result<std::string> prepare_gnupg_home(const std::string& home);

/// Stops the gpg-agent (and any other GnuPG daemon) serving `home`, through
/// the same path prepare_gnupg_home hands to gpg. Does nothing if none runs.
/// Call it before removing a home: `gpgconf --homedir HOME --kill all` on the
/// long path itself cannot reach an agent that listens on the alias.
void stop_gpg_agent(const std::string& home);

} // namespace list
