#include <web/server.hpp>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace web {

namespace {

// Strict by default: nothing but our own resources, no inline script.
constexpr const char* k_csp = "default-src 'none'; style-src 'self'; img-src 'self'; "
                              "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

void send(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
          const std::string& content_type, const std::string& body) {
  response.setStatus(status);
  response.setContentType(content_type);
  response.set("Content-Security-Policy", k_csp);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

class PageHandler : public Poco::Net::HTTPRequestHandler {
public:
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      const std::string& uri = request.getURI();
      if (uri == "/healthz") {
        send(response, Poco::Net::HTTPResponse::HTTP_OK, "text/plain; charset=utf-8", "ok\n");
      } else if (uri == "/") {
        send(response, Poco::Net::HTTPResponse::HTTP_OK, "text/html; charset=utf-8",
             "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>Lifeline</title></head><body><h1>Lifeline</h1>"
             "<p>This server runs encrypted mailing lists.</p></body></html>\n");
      } else {
        send(response, Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "text/html; charset=utf-8",
             "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>Not found</title></head><body><h1>Not found</h1></body></html>\n");
      }
    } catch (const std::exception&) {
      if (!response.sent()) {
        send(response, Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
             "text/plain; charset=utf-8", "internal error\n");
      }
    }
  }
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new PageHandler; // Poco's server takes ownership
  }
};

} // namespace

struct Server::Impl {
  Poco::Net::ServerSocket socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

Server::Server(const ServerOptions& options) : m_impl(std::make_unique<Impl>()) {
  m_impl->socket.bind(Poco::Net::SocketAddress(options.host, options.port), true);
  m_impl->socket.listen(64);
  auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  m_impl->server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory, m_impl->socket,
                                                           params);
}

Server::~Server() { stop(); }

void Server::start() { m_impl->server->start(); }

std::uint16_t Server::port() const { return m_impl->socket.address().port(); }

void Server::stop() {
  if (m_impl && m_impl->server) {
    m_impl->server->stopAll(true);
    m_impl->server.reset();
  }
}

} // namespace web
