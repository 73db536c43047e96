#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <condition_variable>
#include <map>
#include <mutex>
#include <smtp/reply.hpp>
#include <smtp/server.hpp>
#include <smtp/session.hpp>
#include <util/random.hpp>

// Why TCPServer and not a hand-written accept loop: Poco's TCPServer already
// gives the accept thread, the bounded thread pool and stop-accepting on
// stop(). What it lacks for a graceful SMTP shutdown (telling live sessions to
// finish) lives in Registry below: each connection polls its socket in short
// ticks and looks at the registry between them, so no thread ever needs to be
// interrupted from outside.

namespace smtp {
namespace {

using Clock = std::chrono::steady_clock;

// How often a connection wakes up to check timeouts and shutdown.
constexpr auto k_tick = std::chrono::milliseconds(200);
// Threads beyond max_sessions, so that over-limit clients still get their
// 421 at once instead of waiting in Poco's queue.
constexpr int k_spare_threads = 8;
constexpr std::size_t k_read_size = 16 * 1024;

enum class Admission { admitted, too_many, too_many_from_ip, stopping };

} // namespace

std::string_view event_name(EventKind kind) {
  switch (kind) {
  case EventKind::session_opened:
    return "session_opened";
  case EventKind::session_closed:
    return "session_closed";
  case EventKind::connection_refused:
    return "connection_refused";
  case EventKind::rejected:
    return "rejected";
  case EventKind::message_accepted:
    return "accepted";
  case EventKind::message_failed:
    return "store_failed";
  case EventKind::tls_started:
    return "tls_started";
  case EventKind::tls_failed:
    return "tls_failed";
  case EventKind::internal_error:
    return "internal_error";
  }
  return "unknown";
}

/// Shared by the Server and all its connections: limits and shutdown state.
struct Registry {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t active = 0;
  std::map<std::string, std::size_t> per_ip;
  bool stopping = false;
  Clock::time_point grace_end;

  Admission admit(const std::string& ip, const Limits& limits) {
    std::lock_guard lock(mutex);
    if (stopping) {
      return Admission::stopping;
    }
    if (active >= limits.max_sessions) {
      return Admission::too_many;
    }
    auto& from_ip = per_ip[ip];
    if (from_ip >= limits.max_sessions_per_ip) {
      return Admission::too_many_from_ip;
    }
    ++from_ip;
    ++active;
    return Admission::admitted;
  }

  void release(const std::string& ip) {
    {
      std::lock_guard lock(mutex);
      if (--per_ip[ip] == 0) {
        per_ip.erase(ip);
      }
      --active;
    }
    changed.notify_all();
  }

  /// Whether a session in `phase` must end now because of a shutdown.
  bool must_leave(Phase phase) {
    std::lock_guard lock(mutex);
    return stopping && (phase != Phase::data || Clock::now() >= grace_end);
  }
};

struct Server::Impl {
  ServerOptions options;
  RecipientCheck& recipients;
  MessageSink& sink;
  Registry registry;
  Poco::Net::Context::Ptr tls_context;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::TCPServer> tcp;
  std::uint16_t bound_port = 0;

  Impl(ServerOptions o, RecipientCheck& r, MessageSink& s)
      : options(std::move(o)), recipients(r), sink(s) {
    Poco::Net::initializeSSL();
  }
  ~Impl() {
    tcp.reset();
    if (pool) {
      pool->joinAll();
    }
    Poco::Net::uninitializeSSL();
  }

  void emit(Event event) const {
    if (options.on_event) {
      options.on_event(event);
    }
  }
};

namespace {

/// One client connection: runs a Session on a (possibly TLS-upgraded) socket.
class Connection : public Poco::Net::TCPServerConnection {
public:
  Connection(const Poco::Net::StreamSocket& socket, Server::Impl& server)
      : Poco::Net::TCPServerConnection(socket), m_server(server), m_io(socket) {}

  void run() override;

private:
  void serve();
  bool perform(Actions actions);
  void send(const std::string& bytes);
  void start_tls(Actions& pending);
  Event event(EventKind kind) const {
    Event e{kind, m_session_id, m_client, {}, 0, {}, 0, 0, {}};
    return e;
  }

  Server::Impl& m_server;
  Poco::Net::StreamSocket m_io; // the plain socket, later its TLS wrapper
  std::string m_client;
  std::string m_session_id;
  std::unique_ptr<Session> m_session;
  std::string_view m_close_reason = "peer_closed";
};

void Connection::run() {
  const auto& options = m_server.options;
  try {
    m_client = m_io.peerAddress().host().toString();
  } catch (const Poco::Exception&) {
    return; // the peer is already gone
  }
  m_session_id = util::random_hex(6);
  auto admission = m_server.registry.admit(m_client, options.limits);
  if (admission != Admission::admitted) {
    Reply reply = admission == Admission::too_many_from_ip ? Reply::too_many_connections_from_ip
                  : admission == Admission::stopping       ? Reply::shutting_down
                                                           : Reply::too_many_connections;
    auto refused = event(EventKind::connection_refused);
    refused.reason = spec(reply).name;
    refused.code = spec(reply).code;
    m_server.emit(refused);
    try {
      m_io.setSendTimeout(Poco::Timespan(5, 0));
      send(render(reply, options.hostname));
    } catch (const Poco::Exception&) {
    }
    return;
  }
  m_server.emit(event(EventKind::session_opened));
  try {
    serve();
  } catch (const Poco::Exception& e) {
    // STYLE: Poco exceptions stop here; the client gets 421 4.3.0.
    auto failed = event(EventKind::internal_error);
    failed.detail = e.displayText();
    m_server.emit(failed);
    m_close_reason = spec(Reply::internal_error).name;
    try {
      send(render(Reply::internal_error, options.hostname));
    } catch (const Poco::Exception&) {
    }
  }
  auto closed = event(EventKind::session_closed);
  closed.reason = m_close_reason;
  m_server.emit(closed);
  m_server.registry.release(m_client);
}

void Connection::serve() {
  const auto& options = m_server.options;
  SessionOptions session_options{options.hostname,
                                 m_client,
                                 m_session_id,
                                 options.tls_cert.empty() ? TlsPolicy::unavailable
                                 : options.require_tls    ? TlsPolicy::required
                                                          : TlsPolicy::offered,
                                 {}};
  m_session =
      std::make_unique<Session>(options.limits, std::move(session_options), m_server.recipients);
  // A client that stops reading must not hold a thread forever.
  m_io.setSendTimeout(Poco::Timespan(options.limits.command_timeout.count(), 0));
  if (!perform(m_session->open())) {
    return;
  }
  std::string buffer(k_read_size, '\0');
  auto last_input = Clock::now();
  while (true) {
    auto phase = m_session->phase();
    if (m_server.registry.must_leave(phase)) {
      perform(m_session->abort(Reply::shutting_down));
      return;
    }
    auto idle_limit =
        phase == Phase::data ? options.limits.data_timeout : options.limits.command_timeout;
    if (Clock::now() - last_input >= idle_limit) {
      perform(m_session->abort(Reply::timeout));
      return;
    }
    // available() also counts bytes OpenSSL has already decrypted, which
    // poll() on the descriptor cannot see.
    bool readable =
        m_io.available() > 0 ||
        m_io.poll(
            Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(k_tick).count()),
            Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
    if (!readable) {
      continue;
    }
    int received = m_io.receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
    if (received <= 0) {
      return; // peer closed: m_close_reason stays "peer_closed"
    }
    last_input = Clock::now();
    if (!perform(
            m_session->feed(std::string_view(buffer.data(), static_cast<std::size_t>(received))))) {
      return;
    }
  }
}

/// Carries out actions in order; a store or handshake answer appends the
/// session's next actions. Returns false once the connection must close.
bool Connection::perform(Actions actions) {
  for (std::size_t i = 0; i < actions.size(); ++i) {
    Action action = std::move(actions[i]);
    if (auto* reply = std::get_if<SendReply>(&action)) {
      send(reply->bytes);
      const auto& row = spec(reply->reply);
      if (row.code >= 400) {
        auto rejected = event(EventKind::rejected);
        rejected.reason = row.name;
        rejected.code = row.code;
        m_server.emit(rejected);
      }
      if (closes_connection(reply->reply) || reply->reply == Reply::bye) {
        m_close_reason = row.name;
      }
    } else if (auto* store = std::get_if<StoreMessage>(&action)) {
      auto size = store->data.size();
      auto recipients = store->envelope.rcpt_to.size();
      auto queue_id = m_server.sink.store(store->envelope, std::move(store->data));
      if (queue_id) {
        auto accepted = event(EventKind::message_accepted);
        accepted.queue_id = *queue_id;
        accepted.size = size;
        accepted.recipients = recipients;
        m_server.emit(accepted);
      } else {
        auto failed = event(EventKind::message_failed);
        failed.detail = queue_id.error().message;
        m_server.emit(failed);
      }
      auto more = m_session->stored(queue_id);
      std::move(more.begin(), more.end(), std::back_inserter(actions));
    } else if (std::holds_alternative<StartTls>(action)) {
      start_tls(actions);
    } else if (std::holds_alternative<Close>(action)) {
      return false;
    }
  }
  return m_session->phase() != Phase::closed;
}

void Connection::start_tls(Actions& pending) {
  try {
    Poco::Net::SecureStreamSocket secure =
        Poco::Net::SecureStreamSocket::attach(m_io, m_server.tls_context);
    secure.setReceiveTimeout(Poco::Timespan(m_server.options.limits.command_timeout.count(), 0));
    secure.completeHandshake();
    m_io = secure;
  } catch (const Poco::Exception& e) {
    // No reply is possible on a half-negotiated TLS stream: just close.
    auto failed = event(EventKind::tls_failed);
    failed.detail = e.displayText();
    m_server.emit(failed);
    pending.emplace_back(Close{});
    m_close_reason = "tls_failed";
    return;
  }
  m_server.emit(event(EventKind::tls_started));
  auto more = m_session->tls_started();
  std::move(more.begin(), more.end(), std::back_inserter(pending));
}

void Connection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    int n = m_io.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    if (n <= 0) {
      throw Poco::Net::NetException("connection lost while sending");
    }
    sent += static_cast<std::size_t>(n);
  }
}

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
public:
  explicit ConnectionFactory(Server::Impl& server) : m_server(server) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, m_server); // owned by Poco's dispatcher
  }

private:
  Server::Impl& m_server;
};

} // namespace

Server::Server(ServerOptions options, RecipientCheck& recipients, MessageSink& sink)
    : m_impl(std::make_unique<Impl>(std::move(options), recipients, sink)) {}

Server::~Server() {
  if (m_impl->tcp) {
    shutdown(std::chrono::seconds(0));
  }
}

util::Result<void> Server::start() {
  auto& impl = *m_impl;
  const auto& options = impl.options;
  try {
    if (!options.tls_cert.empty() || !options.tls_key.empty()) {
      Poco::Net::Context::Params params;
      params.certificateFile = options.tls_cert;
      params.privateKeyFile = options.tls_key;
      params.verificationMode = Poco::Net::Context::VERIFY_NONE;
      params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
      impl.tls_context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
      impl.tls_context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    }
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress(options.listen_host, options.port),
                                     64);
    impl.bound_port = listener.address().port();
    auto threads = static_cast<int>(options.limits.max_sessions) + k_spare_threads;
    impl.pool = std::make_unique<Poco::ThreadPool>(2, threads, 60);
    auto params = new Poco::Net::TCPServerParams;
    params->setMaxThreads(threads);
    params->setMaxQueued(64);
    impl.tcp = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(impl), *impl.pool,
                                                      listener, params);
    impl.tcp->start();
  } catch (const Poco::Exception& e) {
    impl.tcp.reset();
    return util::permanent("smtp listen " + options.listen_host + ":" +
                           std::to_string(options.port) + ": " + e.displayText());
  }
  return {};
}

std::uint16_t Server::port() const {
  return m_impl->bound_port;
}

void Server::shutdown(std::chrono::seconds grace) {
  auto& impl = *m_impl;
  if (!impl.tcp) {
    return;
  }
  {
    std::lock_guard lock(impl.registry.mutex);
    impl.registry.stopping = true;
    impl.registry.grace_end = Clock::now() + grace;
  }
  impl.tcp->stop(); // no new connections; queued ones are dropped by Poco
  // Sessions notice within a tick; one still inside the sink's store() is
  // allowed to finish, since its client may already be owed a 250.
  std::unique_lock lock(impl.registry.mutex);
  impl.registry.changed.wait(lock, [&] { return impl.registry.active == 0; });
  lock.unlock();
  impl.tcp.reset();
  impl.pool->joinAll();
}

} // namespace smtp
