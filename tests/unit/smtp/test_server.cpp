#include "fakes.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <smtp/server.hpp>
#include <thread>
#include <vector>

// smtp::Server on 127.0.0.1 with a kernel-picked port and real sockets in
// this process: plain, pipelined, STARTTLS (self-signed cert made with
// `openssl req` at run time), limits, timeout and graceful shutdown.

using namespace smtp;
using namespace std::chrono_literals;

namespace {

class FakeSink : public MessageSink {
public:
  util::Result<std::string> store(const Envelope& envelope, std::string data) override {
    std::lock_guard lock(m_mutex);
    m_messages.push_back({envelope, std::move(data)});
    return "ID" + std::to_string(m_messages.size());
  }
  std::vector<StoreMessage> messages() {
    std::lock_guard lock(m_mutex);
    return m_messages;
  }

private:
  std::mutex m_mutex;
  std::vector<StoreMessage> m_messages;
};

struct Events {
  std::mutex mutex;
  std::vector<Event> events;
  std::size_t count(EventKind kind) {
    std::lock_guard lock(mutex);
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(),
                                                  [&](const Event& e) { return e.kind == kind; }));
  }
};

/// A line-oriented SMTP client over a blocking socket (plain or TLS).
class Client {
public:
  explicit Client(std::uint16_t port) : m_socket(Poco::Net::SocketAddress("127.0.0.1", port)) {
    m_socket.setReceiveTimeout(Poco::Timespan(10, 0));
  }

  void send(std::string_view bytes) {
    m_socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  }

  /// One complete reply (all lines of a multiline one), or "" on EOF.
  std::string reply() {
    std::string out;
    while (true) {
      auto end = m_buffer.find("\r\n");
      if (end != std::string::npos) {
        std::string line = m_buffer.substr(0, end + 2);
        m_buffer.erase(0, end + 2);
        out += line;
        if (line.size() < 4 || line[3] != '-') {
          return out;
        }
        continue;
      }
      char chunk[4096];
      int n = m_socket.receiveBytes(chunk, sizeof chunk);
      if (n <= 0) {
        return out;
      }
      m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  std::string code() { return reply().substr(0, 9); }

  void start_tls() {
    auto context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                          Poco::Net::Context::VERIFY_NONE);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    Poco::Net::SecureStreamSocket secure = Poco::Net::SecureStreamSocket::attach(m_socket, context);
    secure.completeHandshake();
    m_socket = secure;
  }

private:
  Poco::Net::StreamSocket m_socket;
  std::string m_buffer;
};

struct Fixture {
  smtp::test::FakeRecipients recipients;
  FakeSink sink;
  Events events;

  ServerOptions options(Limits limits = {}) {
    ServerOptions o;
    o.limits = limits;
    o.hostname = "mx.test";
    o.on_event = [this](const Event& e) {
      std::lock_guard lock(events.mutex);
      events.events.push_back(e);
    };
    return o;
  }
};

/// A temporary directory with a self-signed certificate for 127.0.0.1.
struct TempCert {
  std::filesystem::path dir;
  TempCert() {
    char pattern[] = "/tmp/lifeline-smtp-tls-XXXXXX";
    dir = mkdtemp(pattern);
    auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mx.test -keyout " +
                   (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() +
                   " 2>/dev/null";
    BOOST_REQUIRE(std::system(command.c_str()) == 0);
  }
  ~TempCert() { std::filesystem::remove_all(dir); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(server, Fixture)

BOOST_AUTO_TEST_CASE(plain_and_pipelined_sessions) {
  Server server(options(), recipients, sink);
  BOOST_REQUIRE(server.start().has_value());
  BOOST_REQUIRE(server.port() != 0);
  {
    Client client(server.port());
    BOOST_TEST(client.reply() == "220 mx.test ESMTP Lifeline\r\n");
    client.send("EHLO client.test\r\n");
    auto ehlo = client.reply();
    BOOST_TEST(ehlo.find("250-PIPELINING\r\n") != std::string::npos);
    BOOST_TEST(ehlo.find("STARTTLS") == std::string::npos);
    client.send("MAIL FROM:<a@example.net>\r\n");
    BOOST_TEST(client.code() == "250 2.1.0");
    client.send("RCPT TO:<nobody@example.org>\r\n");
    BOOST_TEST(client.code() == "550 5.1.1");
    client.send("RCPT TO:<list@example.org>\r\n");
    BOOST_TEST(client.code() == "250 2.1.5");
    client.send("DATA\r\n");
    BOOST_TEST(client.reply().substr(0, 4) == "354 ");
    client.send("Subject: one\r\n\r\n..dot\r\n.\r\n");
    BOOST_TEST(client.reply() == "250 2.0.0 Ok: queued as ID1\r\n");
    // RFC 2920: a whole transaction in one write, then the message and QUIT.
    client.send("RSET\r\nMAIL FROM:<>\r\nRCPT TO:<list-owner@example.org>\r\nDATA\r\n");
    BOOST_TEST(client.code() == "250 2.0.0");
    BOOST_TEST(client.code() == "250 2.1.0");
    BOOST_TEST(client.code() == "250 2.1.5");
    BOOST_TEST(client.reply().substr(0, 4) == "354 ");
    client.send("bounce\r\n.\r\nQUIT\r\n");
    BOOST_TEST(client.reply() == "250 2.0.0 Ok: queued as ID2\r\n");
    BOOST_TEST(client.code() == "221 2.0.0");
    BOOST_TEST(client.reply().empty()); // closed by the server
  }
  server.shutdown(5s);
  auto messages = sink.messages();
  BOOST_REQUIRE(messages.size() == 2u);
  BOOST_TEST(messages[0].data.ends_with("Subject: one\r\n\r\n.dot\r\n"));
  BOOST_TEST(messages[0].envelope.client_address == "127.0.0.1");
  BOOST_TEST(messages[1].envelope.mail_from.empty());
  BOOST_TEST(events.count(EventKind::message_accepted) == 2u);
  BOOST_TEST(events.count(EventKind::rejected) == 1u);
  BOOST_TEST(events.count(EventKind::session_opened) == 1u);
  BOOST_TEST(events.count(EventKind::session_closed) == 1u);
}

BOOST_AUTO_TEST_CASE(starttls_session) {
  TempCert cert;
  auto o = options();
  o.tls_cert = (cert.dir / "cert.pem").string();
  o.tls_key = (cert.dir / "key.pem").string();
  o.require_tls = true;
  Server server(o, recipients, sink);
  auto started = server.start();
  BOOST_REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().message));
  {
    Client client(server.port());
    client.reply();
    client.send("EHLO client.test\r\n");
    BOOST_TEST(client.reply().find("250-STARTTLS\r\n") != std::string::npos);
    client.send("MAIL FROM:<a@example.net>\r\n");
    BOOST_TEST(client.code() == "530 5.7.0");
    client.send("STARTTLS\r\n");
    BOOST_TEST(client.code() == "220 2.0.0");
    client.start_tls();
    client.send("MAIL FROM:<a@example.net>\r\n");
    BOOST_TEST(client.code() == "503 5.5.1"); // RFC 3207 4.2: EHLO again
    client.send("EHLO client.test\r\n");
    BOOST_TEST(client.reply().find("STARTTLS") == std::string::npos);
    client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<list@example.org>\r\nDATA\r\n");
    BOOST_TEST(client.code() == "250 2.1.0");
    BOOST_TEST(client.code() == "250 2.1.5");
    BOOST_TEST(client.reply().substr(0, 4) == "354 ");
    client.send("Subject: secret\r\n\r\nx\r\n.\r\nQUIT\r\n");
    BOOST_TEST(client.code() == "250 2.0.0");
    BOOST_TEST(client.code() == "221 2.0.0");
  }
  server.shutdown(5s);
  auto messages = sink.messages();
  BOOST_REQUIRE(messages.size() == 1u);
  BOOST_TEST(messages[0].envelope.tls);
  BOOST_TEST(messages[0].data.find("with ESMTPS id") != std::string::npos);
  BOOST_TEST(events.count(EventKind::tls_started) == 1u);
}

BOOST_AUTO_TEST_CASE(starttls_with_buffered_plaintext_is_refused) {
  TempCert cert;
  auto o = options();
  o.tls_cert = (cert.dir / "cert.pem").string();
  o.tls_key = (cert.dir / "key.pem").string();
  Server server(o, recipients, sink);
  BOOST_REQUIRE(server.start().has_value());
  Client client(server.port());
  client.reply();
  client.send("EHLO client.test\r\n");
  client.reply();
  client.send("STARTTLS\r\nMAIL FROM:<evil@example.net>\r\n");
  BOOST_TEST(client.code() == "421 4.7.0");
  BOOST_TEST(client.reply().empty());
  server.shutdown(5s);
}

BOOST_AUTO_TEST_CASE(bad_certificate_is_a_start_error) {
  auto o = options();
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  Server server(o, recipients, sink);
  BOOST_TEST(!server.start().has_value());
}

BOOST_AUTO_TEST_CASE(per_ip_limit_and_timeout) {
  Limits limits;
  limits.max_sessions_per_ip = 1;
  limits.command_timeout = 1s;
  Server server(options(limits), recipients, sink);
  BOOST_REQUIRE(server.start().has_value());
  Client first(server.port());
  BOOST_TEST(first.reply().substr(0, 4) == "220 ");
  Client second(server.port());
  BOOST_TEST(second.code() == "421 4.7.0");
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(first.code() == "421 4.4.2"); // idle past command_timeout
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
  BOOST_TEST(events.count(EventKind::connection_refused) == 1u);
  server.shutdown(5s);
}

BOOST_AUTO_TEST_CASE(graceful_shutdown_lets_data_finish) {
  Server server(options(), recipients, sink);
  BOOST_REQUIRE(server.start().has_value());
  Client idle(server.port());
  idle.reply();
  Client busy(server.port());
  busy.reply();
  busy.send("EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<list@example.org>\r\nDATA\r\n");
  for (int i = 0; i < 4; ++i) {
    busy.reply();
  }
  busy.send("Subject: late\r\n\r\n");
  std::thread stopper([&] { server.shutdown(10s); });
  BOOST_TEST(idle.code() == "421 4.3.2");
  std::this_thread::sleep_for(500ms); // the busy session must still be in DATA
  busy.send("still writing\r\n.\r\n");
  BOOST_TEST(busy.code() == "250 2.0.0");
  BOOST_TEST(busy.code() == "421 4.3.2");
  stopper.join();
  BOOST_TEST(sink.messages().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
