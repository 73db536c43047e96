// The daemon's delivery side, wired from the configuration: the delivery
// workers with their transport (relay or maildir), the retry policy, and the
// bounce processing fed by synchronous refusals. start() throws Fatal on a
// configuration it cannot use (an unreadable password_file).
#pragma once

#include <list/store.hpp>
#include <memory>
#include <server/config.hpp>
#include <server/delivery_runner.hpp>

namespace server {

/// The relay options from [relay] and [server] (reads password_file).
DeliveryOptions delivery_options(const Config& config);

class Delivery {
public:
  Delivery(const Config& config, list::Store& store);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void start();
  void stop();

private:
  const Config& m_config;
  list::Store& m_store;
  std::unique_ptr<DeliveryRunner> m_runner;
};

} // namespace server
