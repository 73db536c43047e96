#include <Poco/Exception.h>
#include <fmt/format.h>
#include <server/daemon.hpp>
#include <server/fatal.hpp>
#include <server/log.hpp>
#include <server/recipients.hpp>
#include <server/spool_writer.hpp>
#include <util/fd.hpp>
#include <web/server.hpp>

namespace server {

struct Daemon::Parts {
  explicit Parts(list::Store& store) : recipients(store), spool(store) {}
  ListRecipients recipients;
  SpoolWriter spool;
  std::unique_ptr<web::Server> web;
};

Daemon::Daemon(const Config& config, list::Store& store) : m_config(config), m_store(store) {}

Daemon::~Daemon() {
  stop();
}

ListeningPorts Daemon::start() {
  m_parts = std::make_unique<Parts>(m_store);
  ListeningPorts ports;
  const Endpoint web_listen = m_config.endpoint("web", "listen");
  try {
    m_parts->web =
        std::make_unique<web::Server>(web::ServerOptions{web_listen.host, web_listen.port});
    m_parts->web->start();
    ports.web = m_parts->web->port();
  } catch (const Poco::Exception& error) {
    throw Fatal(fmt::format("[web] listen {}:{}: {}", web_listen.host, web_listen.port,
                            error.displayText()));
  }
  return ports;
}

void Daemon::stop() {
  if (!m_parts) {
    return;
  }
  if (m_parts->web) {
    m_parts->web->stop();
  }
  m_parts.reset();
}

void write_ready_file(const std::string& path, const ListeningPorts& ports) {
  auto written = util::write_file_durably(
      path, fmt::format("{{\"smtp\": {}, \"web\": {}}}\n", ports.smtp, ports.web), 0644);
  if (!written) {
    throw Fatal(fmt::format("cannot write the ready-file: {}", written.error().message));
  }
}

} // namespace server
