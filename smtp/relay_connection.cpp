#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <algorithm>
#include <atomic>
#include <optional>
#include <smtp/relay_connection.hpp>
#include <utility>

// Why a blocking socket with poll() and not an event loop: each delivery
// worker owns one connection and has nothing else to do while the relay
// thinks, so a thread per connection is the simplest correct shape (as
// Postfix's smtp(8): one process per connection).

namespace smtp {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t k_read_size = 16 * 1024;

Poco::Timespan span(std::chrono::seconds seconds) {
  return Poco::Timespan(static_cast<long>(seconds.count()), 0);
}

} // namespace

bool verifies_certificate(const ClientOptions& options) {
  return options.starttls == StartTls::required || options.tls_mode == TlsMode::implicit ||
         !options.username.empty();
}

struct RelayConnection::Impl {
  RelayOptions options;
  Poco::Net::Context::Ptr tls_context;
  Poco::Net::StreamSocket socket; // the plain socket, later its TLS wrapper
  std::unique_ptr<Client> client;
  std::vector<TransactionDone> done;
  std::optional<CloseConnection> closed;
  std::string buffer = std::string(k_read_size, '\0');
  std::atomic<bool> interrupted{false};

  explicit Impl(RelayOptions o) : options(std::move(o)) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    const bool verify = verifies_certificate(options.client);
    params.verificationMode =
        verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
    params.caLocation = options.ca_file;
    params.loadDefaultCAs = options.ca_file.empty();
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    tls_context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    tls_context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // Host name checked against the certificate only when we verify at all.
    // VERIFY_STRICT, because Poco skips the host name check for "localhost"
    // and 127.0.0.1 in the weaker modes.
    tls_context->enableExtendedCertificateVerification(verify);
  }

  ~Impl() {
    drop();
    tls_context = nullptr;
    Poco::Net::uninitializeSSL();
  }

  bool usable() const {
    return client && client->phase() == ClientPhase::ready &&
           client->transactions() < options.max_messages;
  }

  void drop() {
    try {
      socket.close();
    } catch (const Poco::Exception&) {
    }
    client.reset();
  }

  std::chrono::seconds timeout() const {
    return client->phase() == ClientPhase::data ? options.data_timeout : options.command_timeout;
  }

  void send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
      if (n <= 0) {
        throw Poco::Net::NetException("connection lost while sending");
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  void start_tls() {
    Poco::Net::SecureStreamSocket secure =
        Poco::Net::SecureStreamSocket::attach(socket, options.host, tls_context);
    secure.setReceiveTimeout(span(options.command_timeout));
    secure.setSendTimeout(span(options.command_timeout));
    secure.completeHandshake();
    socket = secure;
  }

  /// Carries out the client's actions in order; Poco exceptions become
  /// connection_lost (the STYLE's adapter edge).
  void perform(ClientActions actions) {
    for (std::size_t i = 0; i < actions.size(); ++i) {
      ClientAction action = std::move(actions[i]);
      try {
        if (auto* bytes = std::get_if<SendBytes>(&action)) {
          send_all(bytes->bytes);
        } else if (std::holds_alternative<BeginTls>(action)) {
          start_tls();
          auto more = client->tls_started();
          std::move(more.begin(), more.end(), std::back_inserter(actions));
        } else if (auto* transaction = std::get_if<TransactionDone>(&action)) {
          done.push_back(std::move(*transaction));
        } else if (auto* close = std::get_if<CloseConnection>(&action)) {
          closed = std::move(*close);
          try {
            socket.close();
          } catch (const Poco::Exception&) {
          }
        }
      } catch (const Poco::Exception& e) {
        const bool tls = std::holds_alternative<BeginTls>(action);
        auto more =
            client->connection_lost((tls ? "TLS handshake failed: " : "") + e.displayText());
        std::move(more.begin(), more.end(), std::back_inserter(actions));
      }
    }
  }

  /// Reads and feeds until `until` holds or the connection is over.
  template <class Predicate> void read_until(Predicate until) {
    auto last_input = Clock::now();
    while (!until() && !closed && client->phase() != ClientPhase::closed) {
      if (interrupted) {
        perform(client->connection_lost("interrupted: shutting down"));
        return;
      }
      try {
        const auto limit = timeout();
        const auto waited = Clock::now() - last_input;
        if (waited >= limit) {
          perform(client->connection_lost("timeout waiting for the relay"));
          return;
        }
        const auto left = std::chrono::duration_cast<std::chrono::microseconds>(limit - waited);
        bool readable =
            socket.available() > 0 ||
            socket.poll(Poco::Timespan(std::min<long long>(left.count(), 1000000)),
                        Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
        if (!readable) {
          continue;
        }
        int received = socket.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
        if (received <= 0) {
          perform(client->connection_lost("the relay closed the connection"));
          return;
        }
        last_input = Clock::now();
        perform(client->feed(std::string_view(buffer.data(), static_cast<std::size_t>(received))));
      } catch (const Poco::Exception& e) {
        perform(client->connection_lost(e.displayText()));
        return;
      }
    }
  }

  /// Connects and runs the greeting, EHLO, STARTTLS and AUTH; the reason
  /// when the connection did not become ready.
  std::optional<CloseConnection> open() {
    drop();
    closed.reset();
    done.clear();
    client = std::make_unique<Client>(options.client);
    try {
      Poco::Net::SocketAddress address(options.host, options.port);
      socket = Poco::Net::StreamSocket();
      socket.connect(address, span(options.connect_timeout));
      socket.setNoDelay(true);
      socket.setSendTimeout(span(options.command_timeout));
      socket.setReceiveTimeout(span(options.command_timeout));
      if (options.client.tls_mode == TlsMode::implicit) {
        start_tls();
      }
    } catch (const Poco::Exception& e) {
      CloseConnection failure{
          Outcome::transient,
          ServerReply{0,
                      {},
                      "cannot connect to the relay " + options.host + ":" +
                          std::to_string(options.port) + ": " + e.displayText()}
      };
      drop();
      return failure;
    }
    perform(client->connected());
    read_until([&] { return client->phase() == ClientPhase::ready; });
    if (client->phase() != ClientPhase::ready) {
      CloseConnection failure =
          closed ? *closed
                 : CloseConnection{
                       Outcome::transient, ServerReply{0, {}, "relay session failed"}
      };
      drop();
      return failure;
    }
    return std::nullopt;
  }

  /// An idle connection may have been closed by the relay (421 on its idle
  /// timeout, or EOF): read what is waiting before trusting it.
  void check_idle() {
    try {
      while (client && client->phase() == ClientPhase::ready &&
             (socket.available() > 0 ||
              socket.poll(Poco::Timespan(0),
                          Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR))) {
        int received = socket.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
        if (received <= 0) {
          drop();
          return;
        }
        perform(client->feed(std::string_view(buffer.data(), static_cast<std::size_t>(received))));
      }
    } catch (const Poco::Exception&) {
      drop();
    }
  }
};

RelayConnection::RelayConnection(RelayOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

RelayConnection::~RelayConnection() {
  close();
}

std::vector<RecipientOutcome> RelayConnection::deliver(const Outgoing& message) {
  Impl& impl = *m_impl;
  if (impl.interrupted) {
    std::vector<RecipientOutcome> outcomes;
    for (const std::string& recipient : message.recipients) {
      outcomes.push_back(RecipientOutcome{
          recipient, Outcome::transient, Stage::connect,
          ServerReply{0, {}, "interrupted: shutting down"}
      });
    }
    return outcomes;
  }
  impl.check_idle();
  if (impl.client && impl.client->phase() == ClientPhase::ready && !impl.usable()) {
    close(); // after max_messages: a fresh connection, as Postfix's
             // smtp_connection_reuse_count_limit
  }
  if (!impl.usable()) {
    if (auto failure = impl.open()) {
      std::vector<RecipientOutcome> outcomes;
      for (const std::string& recipient : message.recipients) {
        outcomes.push_back(
            RecipientOutcome{recipient, failure->outcome, Stage::setup, failure->reply});
      }
      return outcomes;
    }
  }
  impl.done.clear();
  impl.perform(impl.client->send(message));
  impl.read_until([&] { return !impl.done.empty(); });
  if (impl.done.empty()) {
    // The client always reports a transaction before closing; this is the
    // adapter's own safety net.
    impl.perform(impl.client->connection_lost("relay session ended"));
  }
  std::vector<RecipientOutcome> outcomes =
      impl.done.empty() ? std::vector<RecipientOutcome>{} : std::move(impl.done.front().recipients);
  impl.done.clear();
  if (impl.client && impl.client->phase() == ClientPhase::closed) {
    impl.drop();
  }
  return outcomes;
}

void RelayConnection::interrupt() {
  m_impl->interrupted = true;
}

void RelayConnection::close() {
  Impl& impl = *m_impl;
  if (impl.client && impl.client->phase() == ClientPhase::ready) {
    impl.perform(impl.client->quit());
    // Wait briefly for 221; no message is at stake any more.
    const auto saved = impl.options.command_timeout;
    impl.options.command_timeout = std::min(saved, std::chrono::seconds(5));
    impl.read_until([] { return false; });
    impl.options.command_timeout = saved;
  }
  impl.drop();
}

} // namespace smtp
