// Durable acceptance with group commit: SMTP sessions hand messages to one
// writer thread, which stores everything waiting in one transaction (one
// fsync for many messages) and then answers each session with its queue ID.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list/store.hpp>
#include <mutex>
#include <smtp/sink.hpp>
#include <thread>

namespace server {

class SpoolWriter : public smtp::MessageSink {
public:
  explicit SpoolWriter(list::Store& store);
  ~SpoolWriter() override;
  SpoolWriter(const SpoolWriter&) = delete;
  SpoolWriter& operator=(const SpoolWriter&) = delete;

  /// Blocks until the message is committed; its queue ID or the reason it is not.
  util::Result<std::string> store(const smtp::Envelope& envelope, std::string data) override;

  /// Blocks until no message has arrived for `quiet`, or `at_most` passed.
  /// Background writers (the pipeline) call it before taking the database's
  /// write lock, so that a burst of intake is acknowledged first: SQLite has
  /// one writer at a time, and a 250 after DATA must not wait behind list work.
  void wait_for_quiet(std::chrono::milliseconds quiet, std::chrono::milliseconds at_most) const;

private:
  struct Pending;
  void run();

  list::Store& m_store;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<Pending*> m_waiting;
  bool m_stopping = false;
  // steady_clock ticks of the last arrival or commit; read without the mutex.
  std::atomic<std::int64_t> m_last_activity{0};
  std::thread m_thread;
};

} // namespace server
