#include <Poco/Exception.h>
#include <fmt/format.h>
#include <list/crypto/gpg_home.hpp>
#include <server/daemon.hpp>
#include <server/delivery.hpp>
#include <server/fatal.hpp>
#include <server/list_crypto.hpp>
#include <server/log.hpp>
#include <server/pipeline_runner.hpp>
#include <server/recipients.hpp>
#include <server/spool_writer.hpp>
#include <smtp/server.hpp>
#include <unistd.h>
#include <util/fd.hpp>
#include <web/server.hpp>

namespace server {

struct Daemon::Parts {
  Parts(const Config& config, list::Store& store)
      : recipients(store), spool(store), delivery(std::make_unique<Delivery>(config, store)),
        pipeline(config, store, &delivery->bounces(), [this] {
          // Bounded: under a steady flood the pipeline still claims a post
          // every 250 ms per worker, and catches up when the flood ends.
          spool.wait_for_quiet(std::chrono::milliseconds(20), std::chrono::milliseconds(250));
        }) {}
  ListRecipients recipients;
  SpoolWriter spool;
  std::unique_ptr<Delivery> delivery; // before the pipeline: it takes bounces
  PipelineRunner pipeline;
  std::unique_ptr<smtp::Server> smtp;
  std::unique_ptr<web::Server> web;
};

namespace {

smtp::Limits smtp_limits(const Config& config) {
  smtp::Limits limits;
  limits.max_message_size = static_cast<std::size_t>(config.number("smtp", "max_message_size"));
  limits.max_recipients = static_cast<std::size_t>(config.number("smtp", "max_recipients"));
  limits.command_timeout = std::chrono::seconds(config.number("smtp", "command_timeout"));
  limits.data_timeout = std::chrono::seconds(config.number("smtp", "data_timeout"));
  limits.max_sessions = static_cast<std::size_t>(config.number("smtp", "max_sessions"));
  limits.max_sessions_per_ip =
      static_cast<std::size_t>(config.number("smtp", "max_sessions_per_ip"));
  limits.max_errors = static_cast<std::size_t>(config.number("smtp", "max_errors"));
  return limits;
}

// One key=value line per SMTP event; never message data.
void log_smtp_event(const smtp::Event& event) {
  const LogLevel level =
      event.kind == smtp::EventKind::internal_error || event.kind == smtp::EventKind::message_failed
          ? LogLevel::warning
      : event.kind == smtp::EventKind::session_opened ||
              event.kind == smtp::EventKind::session_closed
          ? LogLevel::debug
          : LogLevel::info;
  if (!log_enabled(level)) {
    return;
  }
  std::string line = fmt::format("smtp {} session={} client={}", smtp::event_name(event.kind),
                                 event.session_id, event.client_address);
  if (!event.reason.empty()) {
    line += fmt::format(" reason={}", event.reason);
  }
  if (event.code != 0) {
    line += fmt::format(" code={}", event.code);
  }
  if (!event.queue_id.empty()) {
    line += fmt::format(" id={} size={} rcpts={}", event.queue_id, event.size, event.recipients);
  }
  if (!event.detail.empty()) {
    line += fmt::format(" detail={}", log_value(event.detail));
  }
  write_log_line(level, line);
}

} // namespace

Daemon::Daemon(const Config& config, list::Store& store) : m_config(config), m_store(store) {}

Daemon::~Daemon() {
  stop();
}

ListeningPorts Daemon::start() {
  m_parts = std::make_unique<Parts>(m_config, m_store);
  m_parts->pipeline.start(); // before SMTP: work spooled before a crash resumes first
  ListeningPorts ports;
  const Endpoint smtp_listen = m_config.endpoint("smtp", "listen");
  smtp::ServerOptions smtp_options;
  smtp_options.listen_host = smtp_listen.host;
  smtp_options.port = smtp_listen.port;
  smtp_options.limits = smtp_limits(m_config);
  smtp_options.hostname = effective_hostname(m_config);
  smtp_options.tls_cert = m_config.text("smtp", "tls_cert");
  smtp_options.tls_key = m_config.text("smtp", "tls_key");
  smtp_options.require_tls = m_config.yes("smtp", "require_tls");
  smtp_options.on_event = log_smtp_event;
  if (smtp_options.tls_cert.empty() != smtp_options.tls_key.empty()) {
    throw Fatal("[smtp] tls_cert and tls_key go together: set both or neither");
  }
  m_parts->smtp = std::make_unique<smtp::Server>(smtp_options, m_parts->recipients, m_parts->spool);
  if (auto started = m_parts->smtp->start(); !started) {
    throw Fatal(fmt::format("[smtp] listen {}:{}: {}", smtp_listen.host, smtp_listen.port,
                            started.error().message));
  }
  ports.smtp = m_parts->smtp->port();
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
  m_parts->delivery->start();
  return ports;
}

void Daemon::stop() {
  if (!m_parts) {
    return;
  }
  // SMTP first: sessions inside DATA finish and reach the spool while the
  // spool writer still runs; the web side has nothing to finish.
  if (m_parts->smtp) {
    m_parts->smtp->shutdown(std::chrono::seconds(m_config.number("smtp", "shutdown_grace")));
  }
  if (m_parts->web) {
    m_parts->web->stop();
  }
  m_parts->pipeline.stop(); // after SMTP: messages being worked on finish
  if (m_parts->delivery) {
    m_parts->delivery->stop(); // last: copies queued during shutdown stay queued
  }
  m_parts.reset();
  // The lists' gpg-agents served this daemon's decryptions and signatures:
  // none outlives it (gpg starts one again on demand).
  if (const auto lists = m_store.all_lists()) {
    for (const list::ListRecord& record : *lists) {
      list::stop_gpg_agent(list_gnupg_home(m_config, record.address));
    }
  }
}

void write_ready_file(const std::string& path, const ListeningPorts& ports) {
  auto written = util::write_file_durably(
      path, fmt::format("{{\"smtp\": {}, \"web\": {}}}\n", ports.smtp, ports.web), 0644);
  if (!written) {
    throw Fatal(fmt::format("cannot write the ready-file: {}", written.error().message));
  }
}

} // namespace server
