// A Transport for development and the demo: each copy is written into a
// maildir per recipient (ROOT/RECIPIENT/new/), durably, instead of going to
// a relay. Failures to write are transient outcomes.
#pragma once

#include <smtp/transport.hpp>
#include <string>

namespace server {

class MaildirTransport final : public smtp::Transport {
public:
  explicit MaildirTransport(std::string root);
  std::vector<smtp::RecipientOutcome> deliver(const smtp::Outgoing& message) override;
  void close() override {}

private:
  std::string m_root;
};

} // namespace server
