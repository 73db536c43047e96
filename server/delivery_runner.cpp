#include <fmt/format.h>
#include <random>
#include <server/delivery_runner.hpp>
#include <server/log.hpp>
#include <utility>

namespace server {

namespace {

constexpr int k_store_retries = 20;
constexpr auto k_store_retry_pause = std::chrono::milliseconds(250);
// An idle connection is kept this many empty polls, then closed politely:
// reconnecting for every burst costs more than an idle session, but the
// relay would drop a silent one after its own timeout anyway.
constexpr int k_idle_polls_before_close = 10;

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* outcome_name(smtp::Outcome outcome) {
  switch (outcome) {
  case smtp::Outcome::delivered:
    return "delivered";
  case smtp::Outcome::transient:
    return "deferred";
  case smtp::Outcome::permanent:
    return "failed";
  }
  return "deferred";
}

} // namespace

DeliveryRunner::DeliveryRunner(list::Store& store, DeliveryOptions options,
                               TransportFactory transports,
                               std::function<void(const SyncBounce&)> on_bounce, Clock clock)
    : m_store(store), m_options(std::move(options)), m_transports(std::move(transports)),
      m_on_bounce(std::move(on_bounce)), m_clock(std::move(clock)) {}

DeliveryRunner::~DeliveryRunner() {
  stop();
}

std::int64_t DeliveryRunner::now() const {
  return m_clock ? m_clock() : system_now();
}

void DeliveryRunner::start() {
  // One node owns an SQLite queue: leases left by an earlier process (killed
  // mid-delivery) are void, and those copies are due again at once.
  if (auto released = m_store.release_outbound_claims(); !released) {
    log(LogLevel::warning, "delivery release_leases_failed detail={}",
        log_value(released.error().message));
  }
  m_stopping = false;
  m_records_stop = false;
  m_writer = std::thread([this] { write_records(); });
  for (std::size_t i = 0; i < m_options.workers; ++i) {
    m_threads.emplace_back([this, i] { work(i); });
  }
}

void DeliveryRunner::wake() {
  {
    std::lock_guard lock(m_mutex);
    ++m_wakeups;
  }
  m_wake.notify_all();
}

void DeliveryRunner::stop() {
  if (m_threads.empty()) {
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  // Transactions in flight get the grace period; then their connections are
  // cut and the copies stay queued (attempted again after a restart).
  {
    std::unique_lock lock(m_mutex);
    m_wake.wait_for(lock, m_options.shutdown_grace, [&] {
      std::lock_guard active(m_active_mutex);
      return m_active.empty();
    });
  }
  {
    std::lock_guard active(m_active_mutex);
    for (smtp::Transport* transport : m_active) {
      transport->interrupt();
    }
  }
  for (std::thread& thread : m_threads) {
    thread.join();
  }
  m_threads.clear();
  {
    std::lock_guard lock(m_records_mutex);
    m_records_stop = true;
  }
  m_records_changed.notify_all();
  m_writer.join();
}

list::DeliveryRecord DeliveryRunner::decide(const list::QueuedCopy& copy,
                                            const smtp::RecipientOutcome& outcome,
                                            const smtp::RetryPolicy& policy, std::int64_t now,
                                            double unit_random) {
  list::DeliveryRecord record;
  record.id = copy.id;
  record.code = outcome.reply.code;
  record.enhanced = outcome.reply.enhanced;
  record.reply = outcome.reply.text;
  switch (outcome.outcome) {
  case smtp::Outcome::delivered:
    record.state = list::DeliveryState::delivered;
    return record;
  case smtp::Outcome::permanent:
    record.state = list::DeliveryState::failed;
    return record;
  case smtp::Outcome::transient:
    break;
  }
  auto next = smtp::next_attempt(policy, now, copy.enqueued_at, copy.attempts + 1, unit_random);
  if (auto* retry = std::get_if<smtp::RetryAt>(&next)) {
    record.state = list::DeliveryState::queued;
    record.next_attempt_at = retry->when;
  } else {
    record.state = list::DeliveryState::failed;
    record.reply = "queue lifetime exceeded; last: " + record.reply;
  }
  return record;
}

/// Durable before the worker moves on: this is what bounds a crash to one
/// repeated transaction per connection. The writer thread puts the records
/// of all workers waiting at that moment into one transaction.
void DeliveryRunner::commit(const list::DeliveryRecord& record) {
  std::unique_lock lock(m_records_mutex);
  m_records.push_back(record);
  const std::uint64_t batch = m_filling;
  m_records_changed.notify_all();
  m_records_changed.wait(lock, [&] { return m_written >= batch; });
}

void DeliveryRunner::write_records() {
  std::unique_lock lock(m_records_mutex);
  while (true) {
    m_records_changed.wait(lock, [&] { return !m_records.empty() || m_records_stop; });
    if (m_records.empty()) {
      return; // stopping, and every worker has its answer
    }
    std::vector<list::DeliveryRecord> batch = std::exchange(m_records, {});
    const std::uint64_t number = m_filling++;
    lock.unlock();
    for (int attempt = 0; attempt < k_store_retries; ++attempt) {
      auto recorded = m_store.record_deliveries(batch);
      if (recorded) {
        break;
      }
      // Left leased if it never succeeds: after a restart the copies are
      // attempted again (a duplicate at worst, never a loss).
      log(LogLevel::warning, "delivery record_failed records={} detail={}", batch.size(),
          log_value(recorded.error().message));
      std::this_thread::sleep_for(k_store_retry_pause);
    }
    lock.lock();
    m_written = number;
    m_records_changed.notify_all();
  }
}

void DeliveryRunner::work(std::size_t index) {
  std::unique_ptr<smtp::Transport> transport = m_transports();
  {
    std::lock_guard active(m_active_mutex);
    m_active.push_back(transport.get());
  }
  std::mt19937_64 random(std::random_device{}() + index);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int idle_polls = 0;
  bool connected = false;
  while (!m_stopping) {
    auto claimed = m_store.claim_outbound(now(), m_options.lease.count(), m_options.claim_batch);
    if (!claimed) {
      log(LogLevel::warning, "delivery claim_failed worker={} detail={}", index,
          log_value(claimed.error().message));
    }
    if (!claimed || claimed->empty()) {
      if (connected && ++idle_polls >= k_idle_polls_before_close) {
        transport->close();
        connected = false;
      }
      std::unique_lock lock(m_mutex);
      const auto seen = m_wakeups;
      m_wake.wait_for(lock, m_options.poll, [&] { return m_stopping || m_wakeups != seen; });
      continue;
    }
    idle_polls = 0;
    for (const list::QueuedCopy& copy : *claimed) {
      if (m_stopping) {
        break; // the rest stay queued; their lease is void at the next start
      }
      auto outcomes =
          transport->deliver(smtp::Outgoing{copy.envelope_from, {copy.recipient}, copy.data});
      connected = true;
      smtp::RecipientOutcome outcome =
          outcomes.empty() ? smtp::RecipientOutcome{copy.recipient, smtp::Outcome::transient,
                                                    smtp::Stage::connect,
                                                    smtp::ServerReply{0, {}, "no outcome"}}
                           : outcomes.front();
      const auto record = decide(copy, outcome, m_options.retry, now(), unit(random));
      commit(record);
      log(outcome.outcome == smtp::Outcome::delivered ? LogLevel::info : LogLevel::warning,
          "delivery {} id={} worker={} attempt={} state={} reply={}", outcome_name(outcome.outcome),
          copy.id, index, copy.attempts + 1, list::to_string(record.state),
          log_value(outcome.reply.summary()));
      const bool about_recipient =
          outcome.stage == smtp::Stage::rcpt || outcome.stage == smtp::Stage::data;
      if (outcome.outcome == smtp::Outcome::permanent && about_recipient && copy.list_id &&
          copy.member_id && m_on_bounce) {
        m_on_bounce(SyncBounce{*copy.list_id, *copy.member_id, outcome.reply.summary()});
      }
    }
  }
  if (connected) {
    transport->close();
  }
  {
    std::lock_guard active(m_active_mutex);
    std::erase(m_active, transport.get());
  }
  { std::lock_guard lock(m_mutex); } // stop() is waiting or will see m_active
  m_wake.notify_all();
}

} // namespace server
