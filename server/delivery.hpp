// The daemon's delivery side, wired from the configuration: the delivery
// workers with their transport (relay or maildir), the retry policy, and the
// bounce processing (fed by synchronous refusals and by the pipeline, with a
// periodic tick for warnings, removals and the daily failure summary).
// start() throws Fatal on a configuration it cannot use (an unreadable
// password_file).
#pragma once

#include <atomic>
#include <condition_variable>
#include <list/bounce.hpp>
#include <list/store.hpp>
#include <memory>
#include <mutex>
#include <server/bounce_notifier.hpp>
#include <server/config.hpp>
#include <server/delivery_runner.hpp>
#include <thread>

namespace server {

/// The relay options from [relay] and [server] (reads password_file).
DeliveryOptions delivery_options(const Config& config);

/// The scoring policy from [bounce].
list::BouncePolicy bounce_policy(const Config& config);

class Delivery {
public:
  Delivery(const Config& config, list::Store& store);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void start();
  void stop();

  /// Where the pipeline hands mail to -bounces@ (usable before start()).
  list::BounceProcessor& bounces() { return m_bounces; }

private:
  void tick_loop();
  void tick();

  const Config& m_config;
  list::Store& m_store;
  QueueBounceNotifier m_notifier;
  list::BounceProcessor m_bounces;
  std::unique_ptr<DeliveryRunner> m_runner;
  std::atomic<DeliveryRunner*> m_running{nullptr}; // to wake from other threads
  std::thread m_ticker;
  std::mutex m_tick_mutex;
  std::condition_variable m_tick_wake;
  bool m_stopping = false;
};

} // namespace server
