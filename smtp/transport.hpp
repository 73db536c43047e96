// Where delivery workers hand a message: one Transport per worker, used from
// that worker's thread only. Implementations: smtp::RelayConnection (SMTP to
// the relay) and server's maildir outbox for development. Never throws: every
// failure is an outcome per recipient.
#pragma once

#include <smtp/client.hpp>
#include <vector>

namespace smtp {

class Transport {
public:
  virtual ~Transport() = default;
  /// Delivers `message`; one outcome per recipient, in the same order.
  virtual std::vector<RecipientOutcome> deliver(const Outgoing& message) = 0;
  /// Nothing more to send for now: end the session politely.
  virtual void close() = 0;
  /// From another thread: cut what is in flight now (shutdown after the grace
  /// period); deliver() then returns transient outcomes promptly.
  virtual void interrupt() {}
};

} // namespace smtp
