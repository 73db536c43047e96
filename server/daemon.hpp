// The running daemon: SMTP intake with its recipient check and group-commit
// spool, and the web server, wired from the configuration. start() throws
// Fatal when a listener cannot bind; stop() shuts down in order.
#pragma once

#include <cstdint>
#include <list/store.hpp>
#include <memory>
#include <server/config.hpp>

namespace server {

struct ListeningPorts {
  std::uint16_t smtp = 0;
  std::uint16_t web = 0;
};

class Daemon {
public:
  Daemon(const Config& config, list::Store& store);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  ListeningPorts start();
  void stop();

private:
  struct Parts;
  const Config& m_config;
  list::Store& m_store;
  std::unique_ptr<Parts> m_parts;
};

/// Writes {"smtp": PORT, "web": PORT} to `path` atomically (temp + rename).
void write_ready_file(const std::string& path, const ListeningPorts& ports);

} // namespace server
