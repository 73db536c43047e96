// The HTTP side of Lifeline: for now a health endpoint and a landing page;
// the public pages and the admin panel come with their issues. Poco's
// HTTPServer is the adapter; handlers render pages, a 500 page on exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace web {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; // 0: pick a free port
};

class Server {
public:
  explicit Server(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  /// The bound port (useful when the options said 0).
  std::uint16_t port() const;
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace web
