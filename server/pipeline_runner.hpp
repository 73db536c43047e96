// The pipeline's worker threads in the daemon: each claims inbound messages
// from the spool (with a lease), runs list::Pipeline on them with its own
// PostCrypto per list, and logs one key=value line per event; sealing runs on
// a shared list::SealPool whose threads each own a Sealer. start() throws
// Fatal if the sealer cannot be set up; stop() lets messages in hand finish.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list/bounce.hpp>
#include <list/message_codec.hpp>
#include <list/seal_pool.hpp>
#include <list/store.hpp>
#include <memory>
#include <mutex>
#include <server/config.hpp>
#include <thread>
#include <vector>

namespace server {

class PipelineRunner {
public:
  /// Called by each worker before it claims work: may block a little so that
  /// SMTP intake, which shares the database's single writer, goes first.
  using YieldToIntake = std::function<void()>;

  /// `bounces` takes mail to -bounces@ (null: it stays in state 'bounce').
  PipelineRunner(const Config& config, list::Store& store, list::BounceProcessor* bounces = nullptr,
                 YieldToIntake yield_to_intake = {});
  ~PipelineRunner();
  PipelineRunner(const PipelineRunner&) = delete;
  PipelineRunner& operator=(const PipelineRunner&) = delete;

  void start();
  void stop();

  /// Wakes idle workers now (the spool writer just committed a batch).
  void notify();

private:
  void work(std::size_t index);

  const Config& m_config;
  list::Store& m_store;
  list::BounceProcessor* m_bounces;
  YieldToIntake m_yield_to_intake;
  std::unique_ptr<list::MessageCodec> m_codec;
  std::unique_ptr<list::SealPool> m_seal_pool;
  std::vector<std::thread> m_workers;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
};

/// [server] pipeline_workers, with 0 meaning the number of cores.
std::size_t pipeline_worker_count(const Config& config);

} // namespace server
