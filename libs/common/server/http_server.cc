#include "libs/common/server/http_server.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/websocket.hpp"
#include "libs/common/logging/log.h"
#include "libs/common/server/connection_limits.h"

namespace chainsync {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace internal {

// ServerState is shared by the server and its connections, so that a reply
// sent late from another thread still finds a live io_context.
struct ServerState {
  HttpServerOptions options;
  std::shared_ptr<const HttpRouter> router;
  net::io_context io_context;
  std::atomic<bool> draining{false};

  std::mutex mu;
  std::condition_variable idle;
  int in_flight = 0;
  std::set<HttpConnection*> connections;
  ConnectionLimits limits;

  ServerState(HttpServerOptions options,
              std::shared_ptr<const HttpRouter> router)
      : options(std::move(options)),
        router(std::move(router)),
        io_context(this->options.threads),
        limits(this->options.max_connections,
               this->options.max_connections_per_address) {}

  void RequestDone() {
    std::lock_guard<std::mutex> lock(mu);
    if (--in_flight == 0) idle.notify_all();
  }
};

// HttpConnection serves one accepted socket: requests one after another
// (keep-alive), until a handler turns it into a long-lived stream (SSE or
// WebSocket) for the rest of its life.
class HttpConnection : public HttpStream,
                       public std::enable_shared_from_this<HttpConnection> {
 public:
  // `address` is the client's; the server counted the connection under it.
  HttpConnection(tcp::socket socket, std::string address,
                 std::shared_ptr<ServerState> state)
      : executor_(socket.get_executor()),
        stream_(std::move(socket)),
        address_(std::move(address)),
        state_(std::move(state)),
        heartbeat_(executor_) {}

  ~HttpConnection() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->connections.erase(this);
    }
    state_->limits.Close(address_);
  }

  void Start() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->connections.insert(this);
    }
    net::dispatch(executor_,
                  [self = shared_from_this()] { self->ReadHeader(); });
  }

  // Respond may be called from any thread; the write runs on the strand.
  void Respond(HttpResponse response) {
    net::dispatch(executor_, [self = shared_from_this(),
                              response = std::move(response)]() mutable {
      self->Write(std::move(response), /*counted=*/true);
    });
  }

  // Shutdown ends the connection from the server side: a stream says
  // goodbye, anything else is closed at once.
  void Shutdown() {
    net::dispatch(executor_, [self = shared_from_this()] {
      if (self->mode_ != Mode::kRequests) {
        return self->Close("the server is shutting down", /*policy=*/false);
      }
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

  // BeginStream turns the connection into a stream once the current request
  // is answered by the stream's head (SSE) or handshake (WebSocket).
  std::shared_ptr<HttpStream> BeginStream(
      bool websocket, std::vector<std::pair<std::string, std::string>> headers,
      HttpStreamOptions options) {
    {
      // Messages sent before the head is written wait for it: the pump
      // starts when the head is out.
      std::lock_guard<std::mutex> lock(out_mu_);
      writing_ = true;
      max_queued_ = options.max_queued;
    }
    net::dispatch(executor_, [self = shared_from_this(), websocket,
                              headers = std::move(headers),
                              options = std::move(options)]() mutable {
      self->options_ = std::move(options);
      if (self->options_.send_buffer_bytes > 0) {
        beast::error_code ignored;
        self->stream_.socket().set_option(net::socket_base::send_buffer_size(
                                              self->options_.send_buffer_bytes),
                                          ignored);
      }
      if (websocket) {
        self->AcceptUpgrade();
      } else {
        self->WriteEventStreamHead(headers);
      }
    });
    // A stream is not a request in flight: draining does not wait for it.
    state_->RequestDone();
    return shared_from_this();
  }

  using HttpStream::Send;
  bool Send(
      absl::Span<const std::shared_ptr<const std::string>> messages) override {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (ending_ || out_.size() + messages.size() > max_queued_) return false;
    out_.insert(out_.end(), messages.begin(), messages.end());
    StartPump();
    return true;
  }

  bool Answer(std::shared_ptr<const std::string> message) override {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (ending_) return false;
    out_.push_back(std::move(message));
    StartPump();
    return true;
  }

  void Close(std::string farewell, bool policy) override {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (ending_) return;
    ending_ = true;
    farewell_ = std::move(farewell);
    policy_ = policy;
    StartPump();
  }

  size_t queued() const override {
    std::lock_guard<std::mutex> lock(out_mu_);
    return out_.size();
  }

 private:
  // StartPump has Pump run unless it already does; out_mu_ is held.
  void StartPump() {
    if (writing_) return;
    writing_ = true;
    net::post(executor_, [self = shared_from_this()] { self->Pump(); });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(state_->options.max_body_bytes);
    parser_->header_limit(
        static_cast<uint32_t>(state_->options.max_header_bytes));
    stream_.expires_after(std::chrono::microseconds(
        absl::ToInt64Microseconds(state_->options.read_timeout)));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->OnHeader(ec);
        });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    const auto& header = parser_->get();
    if (header.target().size() > state_->options.max_target_bytes) {
      return RefuseTarget();
    }
    if (beast::iequals(header[http::field::expect], "100-continue") &&
        !parser_->is_done()) {
      // curl and other clients wait for this before sending a large body.
      auto interim = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, header.version());
      http::async_write(
          stream_, *interim,
          [self = shared_from_this(), interim](beast::error_code ec, size_t) {
            if (ec) return self->stream_.close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(
                       413, absl::StatusCode::kResourceExhausted,
                       absl::StrCat("request body exceeds ",
                                    state_->options.max_body_bytes, " bytes")),
                   /*counted=*/false);
    }
    if (ec == http::error::header_limit) {
      // The parser has a target once the request line is complete: without
      // one, the line alone overflowed, a URL too long (414) rather than
      // headers too large (431).
      if (parser_->get().target().empty()) return RefuseTarget();
      keep_alive_ = false;
      return Write(
          HttpResponse::Error(
              431, absl::StatusCode::kResourceExhausted,
              absl::StrCat("request headers exceed ",
                           state_->options.max_header_bytes, " bytes")),
          /*counted=*/false);
    }
    if (ec.category() ==
            beast::error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(
                       400, absl::StatusCode::kInvalidArgument,
                       absl::StrCat("malformed HTTP request: ", ec.message())),
                   /*counted=*/false);
    }
    // End of stream, timeout, reset: nothing to answer.
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void RefuseTarget() {
    keep_alive_ = false;
    Write(HttpResponse::Error(
              414, absl::StatusCode::kInvalidArgument,
              absl::StrCat("request target exceeds ",
                           state_->options.max_target_bytes, " bytes")),
          /*counted=*/false);
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    stream_.expires_never();
    http::request<http::string_body> message = parser_->release();
    version_ = message.version();
    keep_alive_ = message.keep_alive();

    HttpRequest request;
    // HEAD is GET without the body (RFC 9110 section 9.3.2): routes see a
    // GET, and the answer goes out without its body.
    head_only_ = message.method() == http::verb::head;
    request.method = head_only_ ? "GET" : std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) {
      request.query = request.target.substr(question + 1);
    }
    request.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message) {
      request.headers.emplace_back(
          absl::AsciiStrToLower(std::string(field.name_string())),
          std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.websocket_upgrade = websocket::is_upgrade(message);
    if (request.websocket_upgrade) upgrade_request_ = std::move(message);
    beast::error_code endpoint_error;
    const tcp::endpoint remote =
        stream_.socket().remote_endpoint(endpoint_error);
    if (!endpoint_error) {
      request.remote_address = remote.address().to_string();
      request.remote_port = remote.port();
    }

    {
      std::lock_guard<std::mutex> lock(state_->mu);
      ++state_->in_flight;
    }
    state_->router->Dispatch(std::move(request), HttpReply(shared_from_this()));
  }

  void Write(HttpResponse response, bool counted) {
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(version_);
    message->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) message->set(name, value);
    const bool keep_alive = keep_alive_ && !state_->draining.load();
    message->keep_alive(keep_alive);
    if (head_only_) {
      message->content_length(response.body.size());
    } else {
      message->body() = std::move(response.body);
      message->prepare_payload();
    }
    stream_.expires_after(std::chrono::microseconds(
        absl::ToInt64Microseconds(state_->options.read_timeout)));
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, keep_alive, counted](
                          beast::error_code ec, size_t) {
                        if (counted) self->state_->RequestDone();
                        if (ec || !keep_alive) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(
                              tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->ReadHeader();
                      });
  }

  // --- Streams. Everything below runs on the strand unless it says so.

  void WriteEventStreamHead(
      const std::vector<std::pair<std::string, std::string>>& headers) {
    mode_ = Mode::kEventStream;
    // Written by hand: the body is chunks of our own framing from here on,
    // which Beast's serializer cannot interleave with queued messages.
    auto head = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\n"
        "content-type: text/event-stream\r\n"
        "cache-control: no-store\r\n"
        "x-accel-buffering: no\r\n"
        "transfer-encoding: chunked\r\n");
    for (const auto& [name, value] : headers) {
      absl::StrAppend(head.get(), name, ": ", value, "\r\n");
    }
    head->append("\r\n");
    stream_.expires_never();
    net::async_write(
        stream_, net::buffer(*head),
        [self = shared_from_this(), head](beast::error_code ec, size_t) {
          if (ec || self->head_only_) return self->End();
          self->WatchEventStreamPeer();
          self->ArmHeartbeat();
          self->Pump();
        });
  }

  // WatchEventStreamPeer reads until the peer closes: an SSE client sends
  // nothing after its request, so a read that ends means it went away.
  void WatchEventStreamPeer() {
    buffer_.clear();
    stream_.async_read_some(
        buffer_.prepare(512),
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->End();
          self->WatchEventStreamPeer();
        });
  }

  void ArmHeartbeat() {
    heartbeat_.expires_after(std::chrono::microseconds(
        absl::ToInt64Microseconds(options_.heartbeat)));
    heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->ended_) return;
      static const auto* const kComment =
          new std::shared_ptr<const std::string>(
              std::make_shared<const std::string>(": heartbeat\n\n"));
      self->Send(*kComment);
      self->ArmHeartbeat();
    });
  }

  void AcceptUpgrade() {
    mode_ = Mode::kWebSocket;
    stream_.expires_never();
    // On the socket itself: the WebSocket keeps time on its own.
    websocket_.emplace(stream_.release_socket());
    const auto heartbeat = std::chrono::microseconds(
        absl::ToInt64Microseconds(options_.heartbeat));
    websocket_->set_option(websocket::stream_base::timeout{
        .handshake_timeout = std::chrono::seconds(30),
        .idle_timeout = 2 * heartbeat,
        .keep_alive_pings = true});
    websocket_->read_message_max(state_->options.max_body_bytes);
    // A message in one frame: fragments would cost a write each.
    websocket_->auto_fragment(false);
    websocket_->async_accept(*upgrade_request_,
                             [self = shared_from_this()](beast::error_code ec) {
                               self->upgrade_request_.reset();
                               if (ec) return self->End();
                               self->ReadWebSocketMessage();
                               self->Pump();
                             });
  }

  void ReadWebSocketMessage() {
    websocket_->async_read(
        buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->End();
          std::string text = beast::buffers_to_string(self->buffer_.data());
          self->buffer_.consume(self->buffer_.size());
          if (self->options_.on_message) {
            self->options_.on_message(self, std::move(text));
          }
          self->ReadWhenRoom();
        });
  }

  // ReadWhenRoom reads the next message unless more than half the queue is
  // waiting; then the pump resumes reading once it takes them. A peer that
  // sends faster than it reads is held back by TCP's flow control instead
  // of growing the queue with answers (see Answer).
  void ReadWhenRoom() {
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      if (out_.size() > max_queued_ / 2) {
        read_paused_ = true;
        return;
      }
    }
    ReadWebSocketMessage();
  }

  // Pump writes what is queued, then the farewell once Close was called;
  // one pump runs at a time (writing_).
  void Pump() {
    if (ended_) return;
    bool ending;
    bool resume_reading;
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      in_write_.assign(std::make_move_iterator(out_.begin()),
                       std::make_move_iterator(out_.end()));
      out_.clear();
      ending = ending_;
      resume_reading = std::exchange(read_paused_, false);
      if (in_write_.empty() && !ending) {
        writing_ = false;
        // A burst's message can be large; idle streams hold none of it.
        std::string().swap(chunk_);
        return;
      }
    }
    if (resume_reading) ReadWebSocketMessage();
    if (in_write_.empty()) return SayFarewell();
    // Everything queued goes out in one gathering write, so that a burst
    // costs one system call per client and no copy: an SSE chunk, or a
    // WebSocket message with one queued message per line.
    static constexpr char kLineBreak[] = "\n";
    static constexpr char kChunkEnd[] = "\r\n";
    gather_.clear();
    if (mode_ == Mode::kWebSocket) {
      // One buffer: Beast's write copies a sequence of buffers per frame.
      chunk_.clear();
      for (const auto& message : in_write_) {
        if (!chunk_.empty()) chunk_.append(kLineBreak);
        chunk_.append(*message);
      }
      websocket_->text(true);
      websocket_->async_write(
          net::buffer(chunk_),
          [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->End();
            self->Pump();
          });
      return;
    }
    size_t size = 0;
    for (const auto& message : in_write_) size += message->size();
    chunk_ = absl::StrCat(absl::Hex(size), kChunkEnd);
    gather_.push_back(net::buffer(chunk_));
    for (const auto& message : in_write_) {
      gather_.push_back(net::buffer(*message));
    }
    gather_.push_back(net::buffer(kChunkEnd, 2));
    // On the socket itself: the stream's timeouts are off for good, and
    // its per-operation bookkeeping shows at thousands of clients.
    net::async_write(stream_.socket(), gather_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->End();
                       self->Pump();
                     });
  }

  void SayFarewell() {
    if (mode_ == Mode::kWebSocket) {
      // A close reason is at most 123 bytes (RFC 6455 section 5.5).
      websocket::close_reason reason(policy_
                                         ? websocket::close_code::policy_error
                                         : websocket::close_code::normal,
                                     farewell_.substr(0, 123));
      websocket_->async_close(reason, [self = shared_from_this()](
                                          beast::error_code) { self->End(); });
      return;
    }
    std::string event = absl::StrCat("event: close\ndata: ", farewell_, "\n\n");
    chunk_ =
        absl::StrCat(absl::Hex(event.size()), "\r\n", event, "\r\n0\r\n\r\n");
    net::async_write(stream_, net::buffer(chunk_),
                     [self = shared_from_this()](beast::error_code, size_t) {
                       self->End();
                     });
  }

  // End tears the stream down once, whatever ended it, and tells the owner.
  void End() {
    if (ended_) return;
    ended_ = true;
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      ending_ = true;
      out_.clear();
    }
    heartbeat_.cancel();
    tcp::socket& socket =
        websocket_.has_value() ? websocket_->next_layer() : stream_.socket();
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    // The owner's callbacks hold it, and it holds this stream: let go.
    std::function<void()> on_closed = std::move(options_.on_closed);
    options_ = HttpStreamOptions();
    if (on_closed) on_closed();
  }

  enum class Mode { kRequests, kEventStream, kWebSocket };

  // The connection's strand; the socket's, until a WebSocket takes it.
  const net::any_io_executor executor_;
  beast::tcp_stream stream_;
  // The client's address, as counted for the per-address cap.
  const std::string address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<ServerState> state_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  // The request being answered is a HEAD.
  bool head_only_ = false;

  Mode mode_ = Mode::kRequests;
  HttpStreamOptions options_;
  // The request of a WebSocket upgrade, kept for the handshake.
  std::optional<http::request<http::string_body>> upgrade_request_;
  std::optional<websocket::stream<tcp::socket>> websocket_;
  net::steady_timer heartbeat_;
  // What Pump is writing, and the buffers of the write: the messages, and
  // the SSE chunk's header.
  std::vector<std::shared_ptr<const std::string>> in_write_;
  std::vector<net::const_buffer> gather_;
  std::string chunk_;
  bool ended_ = false;

  // Shared with senders on other threads.
  mutable std::mutex out_mu_;
  std::deque<std::shared_ptr<const std::string>> out_;
  size_t max_queued_ = 0;
  bool writing_ = false;
  bool ending_ = false;
  // The WebSocket waits for the pump to take the queue before reading on.
  bool read_paused_ = false;
  std::string farewell_;
  bool policy_ = false;
};

}  // namespace internal

HttpReply::HttpReply(std::shared_ptr<internal::HttpConnection> connection)
    : connection_(std::move(connection)) {}
HttpReply::HttpReply(HttpReply&&) noexcept = default;
HttpReply& HttpReply::operator=(HttpReply&&) noexcept = default;

HttpReply::~HttpReply() {
  if (connection_ != nullptr) {
    log::Error("HTTP handler dropped a request without answering");
    connection_->Respond(HttpResponse::Error(500, absl::StatusCode::kInternal,
                                             "the request was not answered"));
  }
}

void HttpReply::Send(HttpResponse response) && {
  std::shared_ptr<internal::HttpConnection> connection = std::move(connection_);
  connection->Respond(std::move(response));
}

std::shared_ptr<HttpStream> HttpReply::StartEventStream(
    std::vector<std::pair<std::string, std::string>> headers,
    HttpStreamOptions options) && {
  std::shared_ptr<internal::HttpConnection> connection = std::move(connection_);
  return connection->BeginStream(/*websocket=*/false, std::move(headers),
                                 std::move(options));
}

std::shared_ptr<HttpStream> HttpReply::AcceptWebSocket(
    HttpStreamOptions options) && {
  std::shared_ptr<internal::HttpConnection> connection = std::move(connection_);
  return connection->BeginStream(/*websocket=*/true, {}, std::move(options));
}

HttpRouter::HttpRouter()
    : fallback_([](HttpRequest request, HttpReply reply) {
        std::move(reply).Send(
            HttpResponse::Error(404, absl::StatusCode::kNotFound,
                                absl::StrCat("no route for ", request.path)));
      }) {}

void HttpRouter::Handle(std::string method, std::string path,
                        HttpHandler handler) {
  routes_[{std::move(method), std::move(path)}] = std::move(handler);
}

void HttpRouter::SetFallback(HttpHandler handler) {
  fallback_ = std::move(handler);
}

void HttpRouter::Dispatch(HttpRequest request, HttpReply reply) const {
  const auto found = routes_.find({request.method, request.path});
  if (found != routes_.end()) {
    return found->second(std::move(request), std::move(reply));
  }
  std::string allowed;
  for (const auto& [key, handler] : routes_) {
    if (key.second == request.path) {
      absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", key.first);
    }
  }
  if (allowed.empty()) return fallback_(std::move(request), std::move(reply));
  HttpResponse response =
      HttpResponse::Error(405, absl::StatusCode::kUnimplemented,
                          absl::StrCat("method ", request.method,
                                       " is not allowed on ", request.path));
  response.headers.emplace_back("allow", allowed);
  std::move(reply).Send(std::move(response));
}

class HttpServer::Impl {
 public:
  explicit Impl(std::shared_ptr<internal::ServerState> state)
      : state_(std::move(state)),
        acceptor_(state_->io_context),
        accept_pause_(state_->io_context),
        refused_(state_->options.registry->AddCounter(
            "http_connections_refused_total",
            "Connections closed as soon as accepted, by the cap they met "
            "(total, per_address).",
            {"reason"})) {}

  absl::Status Listen() {
    beast::error_code ec;
    const net::ip::address address =
        net::ip::make_address(state_->options.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid listen host \"", state_->options.host, "\""));
    }
    const tcp::endpoint endpoint(address,
                                 static_cast<uint16_t>(state_->options.port));
    const auto fail = [&](absl::string_view step) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", state_->options.host, ":",
                       state_->options.port, " (", step, "): ", ec.message()));
    };
    if (acceptor_.open(endpoint.protocol(), ec)) return fail("open");
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec)) {
      return fail("SO_REUSEADDR");
    }
    if (acceptor_.bind(endpoint, ec)) return fail("bind");
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec)) {
      return fail("listen");
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  void Run() {
    work_.emplace(state_->io_context.get_executor());
    Accept();
    for (int i = 0; i < state_->options.threads; ++i) {
      running_threads_.fetch_add(1);
      threads_.emplace_back([this] {
        state_->io_context.run();
        running_threads_.fetch_sub(1);
      });
    }
  }

  void Shutdown(absl::Duration grace) {
    if (stopped_.exchange(true)) return;
    state_->draining.store(true);
    net::post(state_->io_context, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      accept_pause_.cancel();
    });
    std::vector<std::shared_ptr<internal::HttpConnection>> open;
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->idle.wait_for(
          lock, std::chrono::microseconds(absl::ToInt64Microseconds(grace)),
          [this] { return state_->in_flight == 0; });
      for (internal::HttpConnection* connection : state_->connections) {
        if (auto alive = connection->weak_from_this().lock()) {
          open.push_back(std::move(alive));
        }
      }
    }
    for (const auto& connection : open) connection->Shutdown();
    open.clear();
    work_.reset();
    // Closed sockets complete their pending operations with errors, after
    // which run() returns for lack of work. stop() is the backstop for a
    // peer that does not let go.
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    while (running_threads_.load() > 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    state_->io_context.stop();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  int port() const { return port_; }

 private:
  // How long accepting pauses when the process is out of descriptors.
  static constexpr auto kAcceptPause = std::chrono::milliseconds(100);

  void Accept() {
    acceptor_.async_accept(
        net::make_strand(state_->io_context),
        [this](beast::error_code ec, tcp::socket socket) {
          if (ec) {
            if (ec == net::error::operation_aborted || !acceptor_.is_open())
              return;
            int64_t held_back = 0;
            if (accept_failures_.Allow(&held_back)) {
              log::Warning("HTTP accept failed; pausing",
                           {{"error", ec.message()},
                            {"pause_seconds", absl::FromChrono(kAcceptPause)},
                            {"failures_not_logged", held_back}});
            }
            // Out of descriptors, accept fails again at once: wait for
            // connections to close rather than spin.
            accept_pause_.expires_after(kAcceptPause);
            accept_pause_.async_wait([this](beast::error_code wait) {
              if (!wait) Accept();
            });
            return;
          }
          Admit(std::move(socket));
          Accept();
        });
  }

  // Admit serves an accepted socket, or closes it when it is past a cap.
  void Admit(tcp::socket socket) {
    beast::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    std::string address = ec ? std::string() : remote.address().to_string();
    const std::optional<absl::string_view> refusal =
        state_->limits.Open(address);
    if (refusal.has_value()) {
      refused_.WithLabels({std::string(*refusal)}).Increment();
      int64_t held_back = 0;
      if (refusals_.Allow(&held_back)) {
        log::Warning("HTTP connection refused: too many open",
                     {{"cap", *refusal},
                      {"client", address},
                      {"refusals_not_logged", held_back}});
      }
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<internal::HttpConnection>(std::move(socket),
                                               std::move(address), state_)
        ->Start();
  }

  std::shared_ptr<internal::ServerState> state_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_pause_;
  metrics::Family<metrics::Counter>& refused_;
  log::Throttle accept_failures_;
  log::Throttle refusals_;
  std::vector<std::thread> threads_;
  // Keeps the threads running while a reply is still awaited: a connection
  // waiting for its handler has no operation pending, and once the acceptor
  // closes at shutdown nothing else would keep run() from returning.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> running_threads_{0};
  int port_ = 0;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options,
    std::shared_ptr<const HttpRouter> router) {
  auto state =
      std::make_shared<internal::ServerState>(options, std::move(router));
  auto impl = std::make_unique<Impl>(state);
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { impl_->Shutdown(absl::ZeroDuration()); }

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace chainsync
