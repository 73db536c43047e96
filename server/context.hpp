// What a CLI command works with: the configuration, the store (opened on first
// use, migrations applied), the list keyrings' paths and who is acting.
#pragma once

#include <iosfwd>
#include <list/keyring.hpp>
#include <list/store.hpp>
#include <memory>
#include <optional>
#include <server/config.hpp>
#include <string>

namespace server {

class Context {
public:
  /// Loads the config from `config_path`, else $LIFELINE_CONFIG, else defaults.
  Context(const std::optional<std::string>& config_path, std::ostream& out, std::ostream& err);
  ~Context();

  const Config& config() const { return m_config; }
  const std::string& config_path() const { return m_config_path; }
  std::ostream& out() { return m_out; }
  std::ostream& err() { return m_err; }

  /// The store, opened (and migrated) on first use; throws Fatal if it cannot.
  list::Store& store();

  /// The list by address, or Refused naming it.
  list::ListRecord find_list(const std::string& address);

  /// The GnuPG home of a list under data_dir.
  std::string list_home(std::string_view list_address) const;

  /// The list's keyring.
  std::unique_ptr<list::Keyring> keyring(std::string_view list_address) const;

  /// "cli:USER": the actor recorded in the audit log.
  std::string actor() const;

  /// An audit event by this actor.
  list::AuditEvent audit(std::string action, std::string target, std::string detail = {}) const;

private:
  std::string m_config_path; // before m_config: loading the config sets it
  Config m_config;
  std::ostream& m_out;
  std::ostream& m_err;
  std::unique_ptr<list::Store> m_store;
};

/// The value of a Result, or Refused with its message.
template <class T> T value_or_refuse(util::Result<T> result);
void value_or_refuse(util::Result<void> result);

/// The database file under data_dir.
std::string database_path(const Config& config);

} // namespace server

#include <server/fatal.hpp>

template <class T> T server::value_or_refuse(util::Result<T> result) {
  if (!result) {
    throw Refused(result.error().message);
  }
  return std::move(*result);
}
