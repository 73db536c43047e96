#include <list/seal_pool.hpp>

namespace list {

struct SealPool::Job {
  std::size_t count = 0;
  std::size_t next = 0; // guarded by the pool's mutex
  std::size_t done = 0; // guarded by the pool's mutex
  const std::function<void(std::size_t, Sealer&)>* task = nullptr;
  std::condition_variable finished;
};

SealPool::SealPool(std::size_t threads, const SealerFactory& factory) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    m_threads.emplace_back([this, sealer = factory()]() mutable { work(std::move(sealer)); });
  }
}

SealPool::~SealPool() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  for (std::thread& thread : m_threads) {
    thread.join();
  }
}

void SealPool::run_all(std::size_t count, const std::function<void(std::size_t, Sealer&)>& task) {
  if (count == 0) {
    return;
  }
  auto job = std::make_shared<Job>();
  job->count = count;
  job->task = &task;
  std::unique_lock lock(m_mutex);
  m_jobs.push_back(job);
  m_wake.notify_all();
  job->finished.wait(lock, [&] { return job->done == job->count; });
}

void SealPool::work(std::unique_ptr<Sealer> sealer) {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [&] { return m_stopping || !m_jobs.empty(); });
    if (m_jobs.empty()) {
      return; // stopping, and nothing left that a caller waits for
    }
    std::shared_ptr<Job> job = m_jobs.front();
    const std::size_t index = job->next++;
    if (job->next == job->count) {
      m_jobs.pop_front();
    }
    lock.unlock();
    (*job->task)(index, *sealer);
    lock.lock();
    if (++job->done == job->count) {
      job->finished.notify_all();
    }
  }
}

} // namespace list
