#include <fmt/format.h>
#include <server/delivery.hpp>
#include <server/fatal.hpp>
#include <server/log.hpp>
#include <server/maildir_transport.hpp>
#include <smtp/relay_connection.hpp>
#include <unistd.h>
#include <util/fd.hpp>

namespace server {

namespace {

std::string helo_name(const Config& config) {
  const std::string& configured = config.text("server", "hostname");
  if (!configured.empty()) {
    return configured;
  }
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0' ? name : "localhost";
}

smtp::RelayOptions relay_options(const Config& config) {
  smtp::RelayOptions relay;
  relay.host = config.text("relay", "host");
  relay.port = static_cast<std::uint16_t>(config.number("relay", "port"));
  relay.ca_file = config.text("relay", "ca_file");
  relay.connect_timeout = std::chrono::seconds(config.number("relay", "connect_timeout"));
  relay.command_timeout = std::chrono::seconds(config.number("relay", "command_timeout"));
  relay.data_timeout = std::chrono::seconds(config.number("relay", "data_timeout"));
  relay.max_messages = static_cast<std::size_t>(config.number("relay", "messages_per_connection"));
  relay.client.helo_name = helo_name(config);
  const std::string& starttls = config.text("relay", "starttls");
  relay.client.starttls = starttls == "required" ? smtp::StartTls::required
                          : starttls == "off"    ? smtp::StartTls::off
                                                 : smtp::StartTls::when_offered;
  relay.client.tls_mode =
      config.text("relay", "tls") == "implicit" ? smtp::TlsMode::implicit : smtp::TlsMode::starttls;
  relay.client.username = config.text("relay", "username");
  if (!relay.client.username.empty()) {
    const std::string& file = config.text("relay", "password_file");
    if (file.empty()) {
      throw Fatal("[relay] username is set but password_file is not");
    }
    auto password = util::read_file(file);
    if (!password) {
      throw Fatal(fmt::format("[relay] password_file: {}", password.error().message));
    }
    while (!password->empty() && (password->back() == '\n' || password->back() == '\r')) {
      password->pop_back();
    }
    relay.client.password = std::move(*password);
  }
  return relay;
}

} // namespace

DeliveryOptions delivery_options(const Config& config) {
  DeliveryOptions options;
  options.workers = static_cast<std::size_t>(config.number("relay", "connections"));
  options.retry.initial = std::chrono::seconds(config.number("relay", "retry_initial"));
  options.retry.maximum = std::chrono::seconds(config.number("relay", "retry_max"));
  options.retry.lifetime = std::chrono::seconds(config.number("relay", "queue_lifetime"));
  options.shutdown_grace = std::chrono::seconds(config.number("relay", "shutdown_grace"));
  return options;
}

Delivery::Delivery(const Config& config, list::Store& store) : m_config(config), m_store(store) {}

Delivery::~Delivery() {
  stop();
}

void Delivery::start() {
  DeliveryRunner::TransportFactory transports;
  if (m_config.text("relay", "mode") == "maildir") {
    const std::string root = m_config.text("relay", "maildir");
    if (root.empty()) {
      throw Fatal("[relay] mode = maildir needs [relay] maildir = PATH");
    }
    transports = [root] { return std::make_unique<MaildirTransport>(root); };
  } else {
    smtp::RelayOptions relay = relay_options(m_config);
    transports = [relay] { return std::make_unique<smtp::RelayConnection>(relay); };
  }
  m_runner =
      std::make_unique<DeliveryRunner>(m_store, delivery_options(m_config), std::move(transports));
  m_runner->start();
  log(LogLevel::info, "delivery started mode={} workers={}", m_config.text("relay", "mode"),
      m_config.number("relay", "connections"));
}

void Delivery::stop() {
  if (m_runner) {
    m_runner->stop();
    m_runner.reset();
    log(LogLevel::info, "delivery stopped");
  }
}

} // namespace server
