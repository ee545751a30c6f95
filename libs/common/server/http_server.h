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
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/http_types.h"

namespace chainsync {

namespace internal {
class HttpConnection;
}  // namespace internal

// HttpStream is the server's end of a long-lived answer: a response whose
// body is Server-Sent Events, or a WebSocket. Every method may be called from
// any thread. Messages are written in the order they were sent, those queued
// together in one write: on a WebSocket, as one text message with a message
// per line (messages must not hold a line break of their own). A stream
// holds at most `max_queued` unwritten ones, so that a peer that reads slower
// than it is sent to costs bounded memory and the sender decides its fate.
class HttpStream {
 public:
  virtual ~HttpStream() = default;

  // Send queues messages (the text of server-sent events, or lines of
  // WebSocket text), all or none, and returns at once. False when the stream
  // has ended or they do not fit within max_queued unwritten messages.
  virtual bool Send(
      absl::Span<const std::shared_ptr<const std::string>> messages) = 0;
  bool Send(std::shared_ptr<const std::string> message) {
    return Send(absl::MakeConstSpan(&message, 1));
  }

  // Answer queues the reply to something the peer asked (the head of an
  // event stream, the answer to a WebSocket message) and is refused only
  // when the stream has ended, never for want of room: a reply lost to a
  // queue full of events would leave the peer waiting with no error. What
  // answers cost stays bounded because a WebSocket reads no further message
  // while more than half of max_queued are waiting to be written.
  virtual bool Answer(std::shared_ptr<const std::string> message) = 0;

  // Close writes what is queued, then `farewell` (SSE: as an event named
  // "close"; WebSocket: as the reason of the close frame, code 1008 when
  // `policy` is set — the peer broke a rule such as keeping up — else 1000),
  // and ends the stream. Later Sends are refused.
  virtual void Close(std::string farewell, bool policy) = 0;

  // queued is the number of messages sent but not yet written.
  virtual size_t queued() const = 0;
};

// HttpStreamOptions shape a long-lived answer.
struct HttpStreamOptions {
  size_t max_queued = 1024;
  // The socket's kernel send buffer (SO_SNDBUF), 0 for the system's
  // self-tuning default. Bounding it bounds what a stalled peer costs beyond
  // max_queued, and makes a stall visible to the sender sooner.
  int send_buffer_bytes = 0;
  // SSE: a comment line is written at this interval, so that proxies keep
  // the response open and a vanished peer is noticed.
  // WebSocket: pings are sent after this much silence from the peer, and
  // the stream ends when a ping is not answered within as long again.
  absl::Duration heartbeat = absl::Seconds(15);
  // WebSocket only: each text message the peer sends, in order, on the
  // stream's own strand.
  std::function<void(const std::shared_ptr<HttpStream>& stream,
                     std::string message)>
      on_message;
  // Once, when the stream ends for any reason: the peer went away, Close
  // finished, a write failed, or the server shut down.
  std::function<void()> on_closed;
};

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

  // StartEventStream answers 200 with `headers` and the text/event-stream
  // content type, and keeps the response open: each message sent on the
  // returned stream is written as it comes (chunked transfer encoding).
  std::shared_ptr<HttpStream> StartEventStream(
      std::vector<std::pair<std::string, std::string>> headers,
      HttpStreamOptions options) &&;

  // AcceptWebSocket completes the WebSocket handshake of an upgrade request
  // (HttpRequest::websocket_upgrade) and returns the stream.
  std::shared_ptr<HttpStream> AcceptWebSocket(HttpStreamOptions options) &&;

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
  // The request target (path and query): longer is refused with 414.
  size_t max_target_bytes = 8 << 10;
  // How long a connection may take to send a request, and stay idle between
  // keep-alive requests.
  absl::Duration read_timeout = absl::Seconds(30);
  // Connections open at once: at most this many (0: as many as the
  // process's descriptor limit leaves room for), and at most
  // max_connections_per_address from one client address (0: no such cap).
  // A connection past a cap is closed as soon as it is accepted, so that
  // nobody can take every descriptor and lock everyone else out.
  size_t max_connections = 0;
  size_t max_connections_per_address = 0;
  metrics::Registry* registry = &metrics::DefaultRegistry();
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
