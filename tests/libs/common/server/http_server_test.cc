#include "libs/common/server/http_server.h"

#include <catch2/catch.hpp>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "libs/common/http/http_client.h"
#include "tests/support/http_test_server.h"
#include "tests/support/idle_socket.h"

namespace chainsync {
namespace {

using testing::SendRaw;
using testing::StartHttpServer;
using testing::UrlOf;

std::unique_ptr<HttpClient> Client() {
  HttpClientOptions options;
  options.retry.max_attempts = 1;
  return *HttpClient::Create(options);
}

HttpRouter EchoRouter() {
  HttpRouter router;
  router.Handle("GET", "/echo", [](HttpRequest request, HttpReply reply) {
    std::move(reply).Send(HttpResponse::Text(
        200,
        absl::StrCat(request.method, " ", request.path, " ", request.query, " ",
                     request.Header("x-test"), " ", request.remote_port)));
  });
  router.Handle("POST", "/echo", [](HttpRequest request, HttpReply reply) {
    std::move(reply).Send(HttpResponse::Text(200, request.body));
  });
  return router;
}

TEST_CASE("requests reach their route with path, query and headers",
          "[http_server]") {
  auto server = StartHttpServer(EchoRouter());
  auto response = Client()->Send(
      {.url = UrlOf(*server, "/echo?a=1&b=2"), .headers = {{"X-Test", "yes"}}});
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body.rfind("GET /echo a=1&b=2 yes ", 0) == 0);

  auto posted = Client()->Send({.method = "POST",
                                .url = UrlOf(*server, "/echo"),
                                .body = std::string(5000, 'x')});
  REQUIRE(posted.ok());
  CHECK(posted->body == std::string(5000, 'x'));
}

TEST_CASE("unknown paths are 404 and wrong methods 405, as JSON",
          "[http_server]") {
  auto server = StartHttpServer(EchoRouter());
  auto missing = Client()->Send({.url = UrlOf(*server, "/nope")});
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  CHECK(missing->Header("content-type") == "application/json");
  CHECK(
      missing->body ==
      R"({"code":5,"status":"NOT_FOUND","message":"no route for /nope","details":[]})");

  auto wrong =
      Client()->Send({.method = "DELETE", .url = UrlOf(*server, "/echo")});
  REQUIRE(wrong.ok());
  CHECK(wrong->status == 405);
  CHECK(wrong->Header("allow") == "GET, POST");
}

TEST_CASE("HEAD is answered as GET without the body", "[http_server]") {
  auto server = StartHttpServer(EchoRouter());
  // Two requests on one connection: the first answer's missing body must
  // not swallow the second answer.
  const std::string answers =
      SendRaw(*server,
              "HEAD /echo HTTP/1.1\r\nhost: x\r\n\r\n"
              "GET /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
  const size_t second = answers.find("HTTP/1.1 200", 1);
  REQUIRE(answers.rfind("HTTP/1.1 200", 0) == 0);
  REQUIRE(second != std::string::npos);
  const std::string head = answers.substr(0, second);
  const std::string get = answers.substr(second);
  CHECK(absl::StrContains(head, "Content-Length: "));
  CHECK(absl::EndsWith(head, "\r\n\r\n"));
  CHECK(!absl::StrContains(head, "GET /echo"));
  CHECK(absl::StrContains(get, "GET /echo"));
  // The length HEAD announces is the one GET's body has.
  const auto length_of = [](const std::string& answer) {
    const size_t at = answer.find("Content-Length: ") + 16;
    return answer.substr(at, answer.find("\r\n", at) - at);
  };
  CHECK(length_of(head) == length_of(get));
}

TEST_CASE("an overlong URL is 414, overlong headers 431", "[http_server]") {
  HttpServerOptions options;
  options.max_target_bytes = 1000;
  options.max_header_bytes = 4000;
  auto server = StartHttpServer(EchoRouter(), options);
  for (const size_t length : {2000, 10000}) {
    const std::string answer =
        SendRaw(*server, absl::StrCat("GET /echo?", std::string(length, 'a'),
                                      " HTTP/1.1\r\nhost: x\r\n\r\n"));
    CHECK(answer.rfind("HTTP/1.1 414", 0) == 0);
    CHECK(absl::StrContains(answer, "request target exceeds 1000 bytes"));
  }
  const std::string headers =
      SendRaw(*server, absl::StrCat("GET /echo HTTP/1.1\r\nhost: x\r\nx-big: ",
                                    std::string(5000, 'a'), "\r\n\r\n"));
  CHECK(headers.rfind("HTTP/1.1 431", 0) == 0);
}

TEST_CASE("keep-alive connections are reused", "[http_server]") {
  auto server = StartHttpServer(EchoRouter());
  auto client = Client();
  auto first = client->Send({.url = UrlOf(*server, "/echo")});
  auto second = client->Send({.url = UrlOf(*server, "/echo")});
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // The client's source port, echoed last, is the same: one connection.
  CHECK(first->body.substr(first->body.rfind(' ')) ==
        second->body.substr(second->body.rfind(' ')));
}

TEST_CASE("a handler may answer later from another thread", "[http_server]") {
  HttpRouter router;
  router.Handle("GET", "/later", [](HttpRequest, HttpReply reply) {
    testing::ReplyAfter(std::move(reply), absl::Milliseconds(50),
                        HttpResponse::Text(202, "done"));
  });
  router.Handle("GET", "/dropped", [](HttpRequest, HttpReply) {});
  auto server = StartHttpServer(std::move(router));
  auto later = Client()->Send({.url = UrlOf(*server, "/later")});
  REQUIRE(later.ok());
  CHECK(later->status == 202);
  CHECK(later->body == "done");

  auto dropped = Client()->Send({.url = UrlOf(*server, "/dropped")});
  REQUIRE(dropped.ok());
  CHECK(dropped->status == 500);
}

TEST_CASE("oversized bodies get 413 and malformed requests 400",
          "[http_server]") {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  auto server = StartHttpServer(EchoRouter(), options);
  auto large = Client()->Send({.method = "POST",
                               .url = UrlOf(*server, "/echo"),
                               .body = std::string(1000, 'x')});
  REQUIRE(large.ok());
  CHECK(large->status == 413);
  CHECK(large->body.find("exceeds 100 bytes") != std::string::npos);

  const std::string garbage = SendRaw(*server, "NOT HTTP AT ALL\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(garbage.find("malformed HTTP request") != std::string::npos);
}

TEST_CASE("connections past a cap are closed at once, the rest served",
          "[http_server]") {
  metrics::Registry registry;
  HttpServerOptions options;
  options.max_connections = 4;
  options.max_connections_per_address = 2;
  options.registry = &registry;
  auto server = StartHttpServer(EchoRouter(), options);
  std::vector<testing::IdleSocket> flood;
  for (int i = 0; i < 3; ++i) flood.emplace_back(server->port(), "127.0.0.2");
  CHECK_FALSE(flood[0].ClosedByServer());
  CHECK_FALSE(flood[1].ClosedByServer());
  CHECK(flood[2].ClosedByServer());
  // Another address has room of its own, up to the total.
  testing::IdleSocket other1(server->port(), "127.0.0.3");
  testing::IdleSocket other2(server->port(), "127.0.0.3");
  testing::IdleSocket past_total(server->port(), "127.0.0.4");
  CHECK_FALSE(other2.ClosedByServer());
  CHECK(past_total.ClosedByServer());
  const std::string metrics = registry.Serialize();
  CHECK(absl::StrContains(
      metrics, R"(http_connections_refused_total{reason="per_address"} 1)"));
  CHECK(absl::StrContains(
      metrics, R"(http_connections_refused_total{reason="total"} 1)"));
  // When a connection of the flood goes, a request finds room.
  flood.clear();
  auto answer = Client()->Send({.url = UrlOf(*server, "/echo")});
  REQUIRE(answer.ok());
  CHECK(answer->status == 200);
}

TEST_CASE("shutdown lets a request in flight finish", "[http_server]") {
  std::promise<void> received;
  HttpRouter router;
  router.Handle("GET", "/slow", [&received](HttpRequest, HttpReply reply) {
    received.set_value();
    testing::ReplyAfter(std::move(reply), absl::Milliseconds(300),
                        HttpResponse::Text(200, "finished"));
  });
  auto server = StartHttpServer(std::move(router));
  const std::string url = UrlOf(*server, "/slow");
  auto pending = std::async(std::launch::async,
                            [url] { return Client()->Send({.url = url}); });
  received.get_future().wait();
  server->Shutdown(absl::Seconds(5));
  auto response = pending.get();
  REQUIRE(response.ok());
  CHECK(response->body == "finished");
  CHECK(response->Header("connection") == "close");
  // No longer accepting.
  CHECK_FALSE(Client()->Send({.url = url}).ok());
}

TEST_CASE("a port in use is an error naming it", "[http_server]") {
  auto first = StartHttpServer(EchoRouter());
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = first->port();
  auto second =
      HttpServer::Start(options, std::make_shared<const HttpRouter>());
  REQUIRE(absl::IsUnavailable(second.status()));
  CHECK(std::string(second.status().message())
            .find(absl::StrCat("127.0.0.1:", first->port())) !=
        std::string::npos);
}

// StreamRouter answers /events with an event stream and /ws with a
// WebSocket, keeping the stream and telling when it ends.
struct StreamRouter {
  HttpStreamOptions options;
  std::function<void(HttpStream&)> on_start = [](HttpStream&) {};
  std::promise<void> closed;
  std::shared_ptr<HttpStream> stream;

  HttpRouter Router() {
    options.on_closed = [this] { closed.set_value(); };
    HttpRouter router;
    router.Handle("GET", "/events", [this](HttpRequest, HttpReply reply) {
      stream = std::move(reply).StartEventStream({{"x-stream", "yes"}},
                                                 std::move(options));
      on_start(*stream);
    });
    router.Handle("GET", "/ws", [this](HttpRequest request, HttpReply reply) {
      REQUIRE(request.websocket_upgrade);
      stream = std::move(reply).AcceptWebSocket(std::move(options));
      on_start(*stream);
    });
    return router;
  }

  bool WaitClosed() {
    return closed.get_future().wait_for(std::chrono::seconds(5)) ==
           std::future_status::ready;
  }
};

std::shared_ptr<const std::string> Text(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

TEST_CASE("an event stream writes messages in order, then its farewell",
          "[http_server]") {
  StreamRouter streams;
  streams.options.max_queued = 2;
  streams.on_start = [](HttpStream& stream) {
    // The head is not written yet, so nothing leaves the queue.
    CHECK(stream.Send(Text("data: one\n\n")));
    CHECK(stream.Send(Text("data: two\n\n")));
    CHECK_FALSE(stream.Send(Text("data: three\n\n")));
    CHECK(stream.queued() == 2);
    stream.Close("bye", /*policy=*/false);
    CHECK_FALSE(stream.Send(Text("data: four\n\n")));
  };
  auto server = StartHttpServer(streams.Router());
  const std::string seen =
      SendRaw(*server, "GET /events HTTP/1.1\r\nhost: test\r\n\r\n");
  INFO(seen);
  CHECK(seen.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(absl::StrContains(seen, "content-type: text/event-stream\r\n"));
  CHECK(absl::StrContains(seen, "transfer-encoding: chunked\r\n"));
  CHECK(absl::StrContains(seen, "x-stream: yes\r\n"));
  CHECK(absl::StrContains(seen, "\r\n16\r\ndata: one\n\ndata: two\n\n\r\n"));
  CHECK(absl::StrContains(seen, "event: close\ndata: bye\n\n\r\n0\r\n\r\n"));
  CHECK_FALSE(absl::StrContains(seen, "three"));
  CHECK(streams.WaitClosed());
}

TEST_CASE("a stream learns that its peer went away", "[http_server]") {
  StreamRouter streams;
  auto server = StartHttpServer(streams.Router());
  // SendRaw gives up after 2 s without an end and closes its socket.
  SendRaw(*server, "GET /events HTTP/1.1\r\nhost: test\r\n\r\n");
  CHECK(streams.WaitClosed());
  CHECK_FALSE(streams.stream->Send(Text("data: late\n\n")));
}

TEST_CASE("shutdown says goodbye to open streams", "[http_server]") {
  StreamRouter streams;
  streams.options.heartbeat = absl::Milliseconds(50);
  auto server = StartHttpServer(streams.Router());
  auto seen = std::async(std::launch::async, [&server] {
    return SendRaw(*server, "GET /events HTTP/1.1\r\nhost: test\r\n\r\n");
  });
  absl::SleepFor(absl::Milliseconds(300));
  server->Shutdown(absl::Seconds(1));
  const std::string text = seen.get();
  INFO(text);
  CHECK(absl::StrContains(text, ": heartbeat\n\n"));
  CHECK(absl::StrContains(text,
                          "event: close\ndata: the server is shutting down"));
  CHECK(streams.WaitClosed());
}

TEST_CASE("a WebSocket carries messages both ways and closes with a reason",
          "[http_server]") {
  namespace websocket = boost::beast::websocket;
  StreamRouter streams;
  streams.options.on_message = [](const std::shared_ptr<HttpStream>& stream,
                                  std::string message) {
    if (message == "enough") {
      stream->Close("enough said", /*policy=*/true);
    } else {
      stream->Send(Text(absl::StrCat("echo: ", message)));
    }
  };
  streams.on_start = [](HttpStream& stream) { stream.Send(Text("hello")); };
  auto server = StartHttpServer(streams.Router());

  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> client(io);
  client.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(server->port())});
  client.handshake("127.0.0.1", "/ws");
  boost::beast::flat_buffer buffer;
  auto read = [&] {
    buffer.clear();
    client.read(buffer);
    return boost::beast::buffers_to_string(buffer.data());
  };
  CHECK(read() == "hello");
  client.write(boost::asio::buffer(std::string("ping")));
  CHECK(read() == "echo: ping");
  client.write(boost::asio::buffer(std::string("enough")));
  boost::beast::error_code ec;
  client.read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(client.reason().code == websocket::close_code::policy_error);
  CHECK(std::string(client.reason().reason.data(),
                    client.reason().reason.size()) == "enough said");
  CHECK(streams.WaitClosed());
}

TEST_CASE("a WebSocket answers every message, its queue full or not",
          "[http_server]") {
  namespace websocket = boost::beast::websocket;
  // Each message is answered after four messages that fill the queue, as
  // a catch-up fills it with events: an answer must still find room.
  StreamRouter streams;
  streams.options.max_queued = 4;
  streams.options.on_message = [](const std::shared_ptr<HttpStream>& stream,
                                  std::string message) {
    for (int i = 0; i < 4; ++i) stream->Send(Text("event"));
    CHECK(stream->Answer(Text(absl::StrCat("answer: ", message))));
  };
  auto server = StartHttpServer(streams.Router());

  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> client(io);
  client.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(server->port())});
  client.handshake("127.0.0.1", "/ws");
  // All at once, before reading any answer.
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    client.write(boost::asio::buffer(absl::StrCat(i)));
  }
  std::vector<std::string> answers;
  boost::beast::flat_buffer buffer;
  while (answers.size() < kMessages) {
    buffer.clear();
    client.read(buffer);
    for (absl::string_view line :
         absl::StrSplit(boost::beast::buffers_to_string(buffer.data()), '\n')) {
      if (line != "event") answers.emplace_back(line);
    }
  }
  for (int i = 0; i < kMessages; ++i) {
    CHECK(answers[i] == absl::StrCat("answer: ", i));
  }
}

}  // namespace
}  // namespace chainsync
