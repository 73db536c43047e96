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

smtp::RelayOptions relay_options(const Config& config) {
  smtp::RelayOptions relay;
  relay.host = config.text("relay", "host");
  relay.port = static_cast<std::uint16_t>(config.number("relay", "port"));
  relay.ca_file = config.text("relay", "ca_file");
  relay.connect_timeout = std::chrono::seconds(config.number("relay", "connect_timeout"));
  relay.command_timeout = std::chrono::seconds(config.number("relay", "command_timeout"));
  relay.data_timeout = std::chrono::seconds(config.number("relay", "data_timeout"));
  relay.max_messages = static_cast<std::size_t>(config.number("relay", "messages_per_connection"));
  relay.client.helo_name = effective_hostname(config);
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

list::BouncePolicy bounce_policy(const Config& config) {
  list::BouncePolicy policy;
  policy.threshold = static_cast<int>(config.number("bounce", "score_threshold"));
  policy.stale_after = config.number("bounce", "stale_after");
  policy.warnings = static_cast<int>(config.number("bounce", "warnings"));
  policy.warning_interval = config.number("bounce", "warning_interval");
  return policy;
}

Delivery::Delivery(const Config& config, list::Store& store)
    : m_config(config), m_store(store),
      m_notifier(config, store,
                 [this] {
                   if (DeliveryRunner* runner = m_running.load()) {
                     runner->wake();
                   }
                 }),
      m_bounces(store, m_notifier, bounce_policy(config)) {}

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
  // A permanent refusal of a member's copy is a bounce of that member.
  auto on_bounce = [this](const SyncBounce& bounce) {
    auto recorded =
        m_bounces.record_bounce(bounce.list_id, bounce.member_id, "relay " + bounce.reply);
    if (!recorded) {
      log(LogLevel::warning, "bounce record-failed list_id={} member_id={} error={}",
          bounce.list_id, bounce.member_id, log_value(recorded.error().message));
      return;
    }
    log(LogLevel::info, "bounce relay list_id={} member_id={}", bounce.list_id, bounce.member_id);
  };
  m_runner = std::make_unique<DeliveryRunner>(m_store, delivery_options(m_config),
                                              std::move(transports), on_bounce);
  m_runner->start();
  m_running = m_runner.get();
  {
    std::lock_guard lock(m_tick_mutex);
    m_stopping = false;
  }
  m_ticker = std::thread([this] { tick_loop(); });
  log(LogLevel::info, "delivery started mode={} workers={}", m_config.text("relay", "mode"),
      m_config.number("relay", "connections"));
}

/// Warnings and removals that are due, then the daily failure summaries.
void Delivery::tick() {
  if (auto ticked = m_bounces.tick(); !ticked) {
    log(LogLevel::warning, "bounce tick-failed error={}", log_value(ticked.error().message));
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  // The window overlaps the last one by a tick: a copy that failed just
  // before a summary is named again rather than never.
  const std::int64_t window = 24 * 60 * 60 + m_config.number("bounce", "tick_interval");
  auto sent = m_notifier.send_failure_summaries(now, window);
  if (!sent) {
    log(LogLevel::warning, "delivery summary-failed error={}", log_value(sent.error().message));
  } else if (*sent > 0) {
    log(LogLevel::info, "delivery summary lists={}", *sent);
  }
}

/// At start, then every [bounce] tick_interval until stop().
void Delivery::tick_loop() {
  const auto interval = std::chrono::seconds(m_config.number("bounce", "tick_interval"));
  for (;;) {
    tick();
    std::unique_lock lock(m_tick_mutex);
    if (m_tick_wake.wait_for(lock, interval, [this] { return m_stopping; })) {
      return;
    }
  }
}

void Delivery::stop() {
  {
    std::lock_guard lock(m_tick_mutex);
    m_stopping = true;
  }
  m_tick_wake.notify_all();
  if (m_ticker.joinable()) {
    m_ticker.join();
  }
  m_running = nullptr;
  if (m_runner) {
    m_runner->stop();
    m_runner.reset();
    log(LogLevel::info, "delivery stopped");
  }
}

} // namespace server
