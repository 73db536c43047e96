// Delivery workers: each claims due copies from the outbound queue with a
// lease and delivers them over its own Transport (one relay connection,
// reused), records every attempt durably before the next one (so a crash
// repeats at most one transaction per worker), retries with back-off until
// the queue lifetime, and reports permanent refusals of member copies as
// bounces. Store errors are logged and retried; nothing here throws.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list/store.hpp>
#include <memory>
#include <mutex>
#include <smtp/retry.hpp>
#include <smtp/transport.hpp>
#include <thread>
#include <vector>

namespace server {

struct DeliveryOptions {
  std::size_t workers = 4;
  std::size_t claim_batch = 32;
  smtp::RetryPolicy retry;
  /// How long a claimed batch stays leased (beyond it another node may take it).
  std::chrono::seconds lease{3600};
  /// Idle workers look for due copies this often (and at once after wake()).
  std::chrono::milliseconds poll{500};
  /// On stop(), how long transactions in flight may take before they are cut.
  std::chrono::seconds shutdown_grace{30};
};

/// A permanent refusal of a member's copy at RCPT or after DATA: a bounce.
struct SyncBounce {
  list::Id list_id = 0;
  list::Id member_id = 0;
  std::string reply; // "550 5.1.1 ..." for the audit log
};

class DeliveryRunner {
public:
  using TransportFactory = std::function<std::unique_ptr<smtp::Transport>()>;
  using Clock = std::function<std::int64_t()>; // unix seconds

  /// `on_bounce` is called from worker threads (must be thread-safe); empty
  /// `clock` means the system clock.
  DeliveryRunner(list::Store& store, DeliveryOptions options, TransportFactory transports,
                 std::function<void(const SyncBounce&)> on_bounce = {}, Clock clock = {});
  ~DeliveryRunner();
  DeliveryRunner(const DeliveryRunner&) = delete;
  DeliveryRunner& operator=(const DeliveryRunner&) = delete;

  void start();
  /// Something was queued: look now instead of at the next poll.
  void wake();
  /// Lets each worker finish the transaction in flight (up to shutdown_grace,
  /// then cuts it: it stays queued), leaves the rest queued, joins.
  void stop();

  /// Decides what an attempt's outcome does to the copy (pure; for tests).
  static list::DeliveryRecord decide(const list::QueuedCopy& copy,
                                     const smtp::RecipientOutcome& outcome,
                                     const smtp::RetryPolicy& policy, std::int64_t now,
                                     double unit_random);

private:
  void work(std::size_t index);
  void commit(const list::DeliveryRecord& record);
  void write_records();
  std::int64_t now() const;

  list::Store& m_store;
  DeliveryOptions m_options;
  TransportFactory m_transports;
  std::function<void(const SyncBounce&)> m_on_bounce;
  Clock m_clock;

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::uint64_t m_wakeups = 0;
  std::atomic<bool> m_stopping{false};
  std::vector<std::thread> m_threads;
  std::vector<smtp::Transport*> m_active; // for interrupt() at the end of the grace
  std::mutex m_active_mutex;

  // Group commit of attempt records: workers wait for theirs to be durable,
  // and one transaction (one fsync) carries every worker's record.
  std::mutex m_records_mutex;
  std::condition_variable m_records_changed;
  std::vector<list::DeliveryRecord> m_records;
  std::uint64_t m_filling = 1; // the batch new records join
  std::uint64_t m_written = 0; // the last batch committed
  bool m_records_stop = false;
  std::thread m_writer;
};

} // namespace server
