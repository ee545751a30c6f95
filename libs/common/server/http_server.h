#pragma once

// The HTTP/1.1 server of every chainsync binary: the admin endpoints of the
// backends (/metrics, /healthz, /readyz) and the public API of the gateway.
// Built on Boost.Beast; Beast stays inside http_server.cc so that users of
// this header compile quickly.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/server/http_types.h"

namespace chainsync {

namespace internal {
class HttpConnection;
}  // namespace internal

// HttpReply sends the response to one request, once, from any thread. A
// handler may keep it and answer later (for example when a gRPC call
// completes). Dropping it unanswered answers 500, so a connection never hangs.
class HttpReply {
 public:
  explicit HttpReply(std::shared_ptr<internal::HttpConnection> connection);
  HttpReply(HttpReply&&) noexcept;
  HttpReply& operator=(HttpReply&&) noexcept;
  ~HttpReply();

  void Send(HttpResponse response) &&;

 private:
  std::shared_ptr<internal::HttpConnection> connection_;
};

using HttpHandler = std::function<void(HttpRequest request, HttpReply reply)>;

// HttpRouter maps a method and an exact path to a handler; other paths go to
// the fallback (404 by default). A known path with another method is 405.
class HttpRouter {
 public:
  HttpRouter();

  void Handle(std::string method, std::string path, HttpHandler handler);
  void SetFallback(HttpHandler handler);

  // Dispatch calls the handler of the request.
  void Dispatch(HttpRequest request, HttpReply reply) const;

 private:
  std::map<std::pair<std::string, std::string>, HttpHandler> routes_;
  HttpHandler fallback_;
};

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  // 0 picks a free port; see HttpServer::port().
  int port = 0;
  int threads = 1;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  // How long a connection may take to send a request, and stay idle between
  // keep-alive requests.
  absl::Duration read_timeout = absl::Seconds(30);
};

// HttpServer accepts connections and dispatches requests to a router.
class HttpServer {
 public:
  // Start binds the port and starts serving. UNAVAILABLE with the address and
  // the reason when the port cannot be bound (for example in use).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options,
      std::shared_ptr<const HttpRouter> router);

  ~HttpServer();

  // port is the bound port (the chosen one when options.port was 0).
  int port() const;

  // Shutdown stops accepting, waits up to `grace` for requests in flight to
  // be answered, then closes every connection. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainsync
