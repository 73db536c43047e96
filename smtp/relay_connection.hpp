// smtp::RelayConnection: the thin Poco adapter that runs smtp::Client on a
// real socket to the relay (TCP, STARTTLS or implicit TLS via NetSSL, with
// certificate and host name checks, timeouts as Postfix's client). One
// connection carries many messages; it reconnects after errors and after
// `max_messages` transactions. Failures are outcomes, never exceptions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <smtp/client.hpp>
#include <smtp/transport.hpp>
#include <string>

namespace smtp {

struct RelayOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 25;
  ClientOptions client;
  /// PEM file of CAs to trust instead of the system's; empty: system CAs.
  std::string ca_file;
  /// Postfix: smtp_connect_timeout, smtp_helo_timeout (and the command
  /// replies), smtp_data_done_timeout.
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{600};
  std::size_t max_messages = 100;
};

/// Whether the relay's certificate is checked: always with starttls =
/// required, implicit TLS or AUTH (a password must only go to the right
/// host); with "auto" and no AUTH, TLS is opportunistic as Postfix's "may".
bool verifies_certificate(const ClientOptions& options);

class RelayConnection final : public Transport {
public:
  explicit RelayConnection(RelayOptions options);
  ~RelayConnection() override;
  RelayConnection(const RelayConnection&) = delete;
  RelayConnection& operator=(const RelayConnection&) = delete;

  std::vector<RecipientOutcome> deliver(const Outgoing& message) override;
  void close() override;
  void interrupt() override;

  struct Impl; // opaque: keeps Poco headers out of this one

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace smtp
