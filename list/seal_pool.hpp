// The fan-out worker pool: N threads, each owning its own Sealer (one GPGME
// context, no lock shared between them), running per-member tasks of a post
// in parallel. Task errors are the tasks' own Results; the pool cannot fail.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list/openpgp.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace list {

using SealerFactory = std::function<std::unique_ptr<Sealer>()>;

class SealPool {
public:
  SealPool(std::size_t threads, const SealerFactory& factory);
  ~SealPool();
  SealPool(const SealPool&) = delete;
  SealPool& operator=(const SealPool&) = delete;

  /// Runs task(i, sealer) for i in [0, count) on the pool's threads and
  /// waits for all of them. Safe to call from several threads at once.
  void run_all(std::size_t count, const std::function<void(std::size_t, Sealer&)>& task);

  std::size_t size() const { return m_threads.size(); }

private:
  struct Job;
  void work(std::unique_ptr<Sealer> sealer);

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::shared_ptr<Job>> m_jobs;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace list
