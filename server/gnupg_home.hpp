// Creating and removing a list's GnuPG home: its gpg-agent is stopped before
// the directory goes, so no agent outlives the keys it served.
#pragma once

#include <string>

namespace server {

/// Stops the gpg-agent of `home` and removes the directory tree.
void remove_gnupg_home(const std::string& home);

/// Removes a GnuPG home on scope exit unless keep() was called: list creation
/// leaves nothing behind when it fails half way.
class GnupgHomeGuard {
public:
  explicit GnupgHomeGuard(std::string home) : m_home(std::move(home)) {}
  GnupgHomeGuard(const GnupgHomeGuard&) = delete;
  GnupgHomeGuard& operator=(const GnupgHomeGuard&) = delete;
  ~GnupgHomeGuard();
  void keep() { m_keep = true; }

private:
  std::string m_home;
  bool m_keep = false;
};

} // namespace server
