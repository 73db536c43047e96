#include <cstdlib>
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/crypto/gpg_keyring.hpp>
#include <list/store/sqlite_store.hpp>
#include <ostream>
#include <pwd.h>
#include <server/context.hpp>
#include <server/list_crypto.hpp>
#include <server/log.hpp>
#include <unistd.h>
#include <util/fd.hpp>

namespace server {

namespace {
Config load_config(const std::optional<std::string>& path, std::string& used_path,
                   std::ostream& err) {
  std::optional<std::string> chosen = path;
  if (!chosen) {
    if (const char* env = std::getenv("LIFELINE_CONFIG"); env != nullptr && *env != '\0') {
      chosen = env;
    }
  }
  if (!chosen) {
    return Config();
  }
  used_path = *chosen;
  std::vector<std::string> warnings;
  Config config = Config::load(*chosen, warnings);
  for (const std::string& warning : warnings) {
    err << "lifeline: warning: " << warning << "\n";
  }
  LogLevel level = LogLevel::info;
  parse_log_level(config.text("log", "level"), level);
  set_log_level(level);
  return config;
}
} // namespace

Context::Context(const std::optional<std::string>& config_path, std::ostream& out,
                 std::ostream& err)
    : m_config(load_config(config_path, m_config_path, err)), m_out(out), m_err(err) {}

Context::~Context() = default;

std::string database_path(const Config& config) {
  return config.text("server", "data_dir") + "/lifeline.db";
}

list::Store& Context::store() {
  if (!m_store) {
    const std::string& data_dir = m_config.text("server", "data_dir");
    if (auto made = util::make_directories(data_dir, 0700); !made) {
      throw Fatal(made.error().message);
    }
    auto opened = list::open_sqlite_store(database_path(m_config));
    if (!opened) {
      throw Fatal(opened.error().message);
    }
    m_store = std::move(*opened);
  }
  return *m_store;
}

list::ListRecord Context::find_list(const std::string& address) {
  const std::string normal = list::fold_case(value_or_refuse(list::normalise_address(address)));
  auto found = value_or_refuse(store().find_list(normal));
  if (!found) {
    throw Refused(fmt::format("no list {} (see `lifeline list create`)", normal));
  }
  return *found;
}

std::string Context::list_home(std::string_view list_address) const {
  return list_gnupg_home(m_config, list_address);
}

std::unique_ptr<list::Keyring> Context::keyring(std::string_view list_address) const {
  return list::open_gpg_keyring(list_home(list_address));
}

std::string Context::actor() const {
  const passwd* entry = ::getpwuid(::getuid());
  return fmt::format("cli:{}", entry != nullptr ? entry->pw_name : std::to_string(::getuid()));
}

list::AuditEvent Context::audit(std::string action, std::string target, std::string detail) const {
  return list::AuditEvent{actor(), std::move(action), std::move(target), std::move(detail)};
}

void value_or_refuse(util::Result<void> result) {
  if (!result) {
    throw Refused(result.error().message);
  }
}

} // namespace server
