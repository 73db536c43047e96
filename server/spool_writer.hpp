// Durable acceptance with group commit: SMTP sessions hand messages to one
// writer thread, which stores everything waiting in one transaction (one
// fsync for many messages) and then answers each session with its queue ID.
#pragma once

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

private:
  struct Pending;
  void run();

  list::Store& m_store;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<Pending*> m_waiting;
  bool m_stopping = false;
  std::thread m_thread;
};

} // namespace server
