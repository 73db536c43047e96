// smtp::Server: the thin Poco adapter that puts smtp::Session on real sockets
// (TCPServer, STARTTLS via NetSSL, connection limits, timeouts, graceful
// shutdown). Startup failures come back from start() as values; everything
// that happens afterwards is reported as Events, for server/ to log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <smtp/limits.hpp>
#include <smtp/sink.hpp>
#include <string>
#include <string_view>
#include <util/result.hpp>

namespace smtp {

enum class EventKind {
  session_opened,     // client_address, session_id
  session_closed,     // reason: the closing reply's name, or "peer_closed"
  connection_refused, // over a connection limit or shutting down; reason, code
  rejected,           // a 4xx/5xx reply; reason (reply name) and code
  message_accepted,   // queue_id, size, recipients
  message_failed,     // the sink failed: 451 sent; detail is the sink's error
  tls_started,
  tls_failed,     // handshake failed; detail
  internal_error, // an exception reached the edge: 421 4.3.0 sent; detail
};

/// One event for one log line. Never carries message data or AUTH secrets.
struct Event {
  EventKind kind;
  std::string session_id;
  std::string client_address;
  std::string_view reason; // a reply name from k_replies, or a fixed word
  int code = 0;
  std::string queue_id;
  std::size_t size = 0;
  std::size_t recipients = 0;
  std::string detail;
};

/// The name of an EventKind, for "smtp NAME key=value" log lines.
std::string_view event_name(EventKind kind);

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0; // 0: the kernel picks a free port, see Server::port()
  Limits limits;
  std::string hostname = "localhost";
  std::string tls_cert; // PEM paths; both empty: no STARTTLS
  std::string tls_key;
  bool require_tls = false; // submission-style: no mail before STARTTLS
  /// Called from connection threads, concurrently: must be thread-safe.
  std::function<void(const Event&)> on_event;
};

class Server {
public:
  /// `recipients` and `sink` are shared by all connection threads and must be
  /// thread-safe; they must outlive the Server.
  Server(ServerOptions options, RecipientCheck& recipients, MessageSink& sink);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Loads the TLS certificate, binds and starts accepting. A bad certificate
  /// or a failed bind is a permanent error (server/ turns it into Fatal).
  util::Result<void> start();

  /// The bound port (useful after asking for port 0).
  std::uint16_t port() const;

  /// Stops accepting, lets sessions inside DATA finish for up to `grace`,
  /// answers 421 4.3.2 to all others and to the stragglers, and returns when
  /// every connection is closed.
  void shutdown(std::chrono::seconds grace);

  struct Impl; // opaque: keeps Poco headers out of this one

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace smtp
