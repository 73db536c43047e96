#include <server/spool_writer.hpp>
#include <util/random.hpp>

namespace server {

namespace {
// A batch stops growing at this many bytes so one huge commit does not hold
// every other session's reply hostage.
constexpr std::size_t k_max_batch_bytes = 64 * 1024 * 1024;
constexpr std::size_t k_max_batch_messages = 256;
} // namespace

struct SpoolWriter::Pending {
  list::InboundMessage message;
  bool done = false;
  util::Result<std::string> outcome = util::transient("not stored");
};

SpoolWriter::SpoolWriter(list::Store& store) : m_store(store), m_thread([this] { run(); }) {}

SpoolWriter::~SpoolWriter() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

util::Result<std::string> SpoolWriter::store(const smtp::Envelope& envelope, std::string data) {
  Pending pending;
  pending.message.queue_id = util::random_token(10);
  pending.message.mail_from = envelope.mail_from;
  pending.message.rcpt_to = envelope.rcpt_to;
  pending.message.data = std::move(data);
  m_last_activity = std::chrono::steady_clock::now().time_since_epoch().count();
  std::unique_lock lock(m_mutex);
  if (m_stopping) {
    return util::transient("shutting down");
  }
  m_waiting.push_back(&pending);
  m_wake.notify_all();
  m_wake.wait(lock, [&] { return pending.done; });
  return pending.outcome;
}

void SpoolWriter::wait_for_quiet(std::chrono::milliseconds quiet,
                                 std::chrono::milliseconds at_most) const {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + at_most;
  for (;;) {
    const auto now = clock::now();
    const auto last = clock::time_point(clock::duration(m_last_activity.load()));
    if (now - last >= quiet || now >= deadline) {
      return;
    }
    std::this_thread::sleep_for(std::min<clock::duration>(quiet - (now - last), deadline - now));
  }
}

void SpoolWriter::run() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [&] { return m_stopping || !m_waiting.empty(); });
    if (m_waiting.empty()) {
      return; // stopping, and nobody waits
    }
    // Take everything that arrived while the last commit ran: that is the
    // group in group commit.
    std::vector<Pending*> batch;
    std::size_t bytes = 0;
    while (!m_waiting.empty() && batch.size() < k_max_batch_messages &&
           (batch.empty() || bytes + m_waiting.front()->message.data.size() <= k_max_batch_bytes)) {
      bytes += m_waiting.front()->message.data.size();
      batch.push_back(m_waiting.front());
      m_waiting.pop_front();
    }
    lock.unlock();
    std::vector<list::InboundMessage> messages;
    messages.reserve(batch.size());
    for (Pending* pending : batch) {
      messages.push_back(std::move(pending->message));
    }
    auto stored = m_store.spool_inbound(messages);
    m_last_activity = std::chrono::steady_clock::now().time_since_epoch().count();
    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->outcome = stored ? util::Result<std::string>(messages[i].queue_id)
                                 : util::Result<std::string>(tl::unexpected(stored.error()));
      batch[i]->done = true;
    }
    m_wake.notify_all();
  }
}

} // namespace server
