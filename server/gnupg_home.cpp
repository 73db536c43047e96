#include <filesystem>
#include <list/crypto/gpg_home.hpp>
#include <server/gnupg_home.hpp>

namespace server {

void remove_gnupg_home(const std::string& home) {
  std::error_code ec;
  if (!std::filesystem::exists(home, ec)) {
    return;
  }
  list::stop_gpg_agent(home);
  // The home's parent (lists/ADDRESS) holds only the home.
  std::filesystem::remove_all(std::filesystem::path(home).parent_path(), ec);
}

GnupgHomeGuard::~GnupgHomeGuard() {
  if (!m_keep) {
    remove_gnupg_home(m_home);
  }
}

} // namespace server
