// The gateway's realtime streams end to end: gateway + indexer + Postgres +
// anvil with the reference contracts, followed by real clients — fetch as an
// EventSource does, and the `ws` WebSocket package (realtime_client.mjs).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/services/api-gateway/indexed_chain.h"

namespace chainsync::gateway {
namespace {

// Received is one line a realtime client printed.
struct Received {
  std::string kind;  // subscribed, event, close, message, refused
  uint64_t sequence = 0;
  bool removed = false;
  std::string event_name;
  // Where the event sits and what it said, to match a removal with it.
  std::string content;
  // The text of any other WebSocket message.
  std::string text;
  std::string line;
};

class RealtimeClient {
 public:
  // EventStream follows /api/realtime/stream?`query`, resuming after
  // `last_event_id` when given.
  static std::unique_ptr<RealtimeClient> EventStream(
      int port, const std::string& query,
      std::optional<uint64_t> last_event_id = std::nullopt) {
    std::vector<std::string> args = {
        "sse", absl::StrCat("http://127.0.0.1:", port, "/api/realtime/stream?",
                            query)};
    if (last_event_id.has_value()) args.push_back(absl::StrCat(*last_event_id));
    return Start(args);
  }
  // WebSocket opens /api/realtime/ws and sends `messages`.
  static std::unique_ptr<RealtimeClient> WebSocket(
      int port, const std::vector<std::string>& messages) {
    std::vector<std::string> args = {
        "ws", absl::StrCat("ws://127.0.0.1:", port, "/api/realtime/ws")};
    args.insert(args.end(), messages.begin(), messages.end());
    return Start(args);
  }

  std::optional<Received> Next(absl::Duration timeout) {
    const std::optional<std::string> line = process_->ReadLine(timeout);
    if (!line.has_value()) return std::nullopt;
    simdjson::dom::element json;
    INFO(*line);
    REQUIRE(parser_.parse(*line).get(json) == simdjson::SUCCESS);
    Received received{.kind = std::string(json["kind"].get_string().value()),
                      .line = *line};
    if (received.kind == "event") {
      REQUIRE(
          absl::SimpleAtoi(std::string(json["sequence"].get_string().value()),
                           &received.sequence));
      const auto event = json["event"];
      received.removed = event["removed"].get_bool().value();
      received.event_name =
          std::string(event["eventName"].get_string().value());
      const auto position = event["position"];
      // Arguments sorted by name: an object's key order carries no meaning.
      std::vector<std::string> args;
      for (const auto [name, value] : event["args"].get_object()) {
        args.push_back(
            absl::StrCat(std::string(name), "=", simdjson::minify(value)));
      }
      std::sort(args.begin(), args.end());
      received.content = absl::StrCat(
          std::string(position["blockNumber"].get_string().value()), "/",
          position["logIndex"].get_int64().value(), "/",
          absl::StrJoin(args, ","));
    }
    if (received.kind == "message") {
      received.text = std::string(json["text"].get_string().value());
    }
    if (received.kind == "subscribed") {
      REQUIRE(absl::SimpleAtoi(std::string(json["after"].get_string().value()),
                               &received.sequence));
    }
    return received;
  }

  // Subscribed waits for the subscription and returns where it starts.
  uint64_t Subscribed() {
    const std::optional<Received> received = Next(absl::Seconds(30));
    REQUIRE(received.has_value());
    INFO(received->line);
    REQUIRE(received->kind == "subscribed");
    return received->sequence;
  }

  // EventsThrough reads events until one at or past `sequence`, after
  // those already read (`events`).
  std::vector<Received> EventsThrough(uint64_t sequence,
                                      std::vector<Received> events = {}) {
    while (events.empty() || events.back().sequence < sequence) {
      const std::optional<Received> received = Next(absl::Seconds(30));
      INFO("waiting for sequence " << sequence);
      REQUIRE(received.has_value());
      INFO(received->line);
      REQUIRE(received->kind == "event");
      events.push_back(*received);
    }
    return events;
  }

  // ReadArrived appends the events that have arrived to `events`, as a
  // client that keeps up reads them.
  void ReadArrived(std::vector<Received>& events) {
    while (std::optional<Received> received = Next(absl::Milliseconds(20))) {
      INFO(received->line);
      REQUIRE(received->kind == "event");
      events.push_back(*received);
    }
  }

  void Kill() {
    process_->Signal(SIGKILL);
    (void)process_->Wait(absl::Seconds(10));
  }

 private:
  static std::unique_ptr<RealtimeClient> Start(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"/usr/bin/env", "node",
                 CHAINSYNC_SOURCE_DIR
                 "/tests/services/api-gateway/realtime_client.mjs"});
    auto process = testing::Subprocess::Start(args);
    REQUIRE(process.ok());
    auto client = std::unique_ptr<RealtimeClient>(new RealtimeClient);
    client->process_ = *std::move(process);
    return client;
  }
  RealtimeClient() = default;

  std::unique_ptr<testing::Subprocess> process_;
  simdjson::dom::parser parser_;
};

// Published returns the sequences the indexer published after `after`, up
// to the newest, once the chain's head is indexed.
std::vector<uint64_t> Published(IndexedChain& chain, uint64_t after) {
  REQUIRE(indexer::WaitForIndexed(
      *chain.indexer, chain.database.url(),
      static_cast<int64_t>(*chain.workload->client().BlockNumber())));
  auto connection = chain.database.Connect();
  std::vector<uint64_t> sequences;
  for (const std::string& row : indexer::Rows(
           *connection,
           absl::StrCat("SELECT sequence FROM indexer.event_stream WHERE "
                        "sequence > ",
                        after, " ORDER BY sequence"))) {
    uint64_t sequence = 0;
    REQUIRE(absl::SimpleAtoi(absl::StripSuffix(row, "|"), &sequence));
    sequences.push_back(sequence);
  }
  REQUIRE(!sequences.empty());
  return sequences;
}

std::vector<uint64_t> Sequences(const std::vector<Received>& events) {
  std::vector<uint64_t> sequences;
  for (const Received& event : events) sequences.push_back(event.sequence);
  return sequences;
}

void Syncs(IndexedChain& chain, int count, uint64_t sats) {
  for (int i = 0; i < count; ++i) {
    chain.workload->Sync(static_cast<size_t>(i % 3), sats + i);
  }
}

TEST_CASE(
    "realtime clients get mined events in order and resume without "
    "loss or duplicate",
    "[gateway][realtime]") {
  // A ring of 4 events: a client back after a few syncs replays from the
  // indexer, one a couple of events behind is served from the ring.
  IndexedChain chain(testing::GetTestEnvironment().rpc_url,
                     {"--realtime_ring=4"});
  const int port = chain.gateway->port();
  auto sse = RealtimeClient::EventStream(port, "");
  auto ws = RealtimeClient::WebSocket(port, {R"({"type":"subscribe"})"});
  auto synced_only = RealtimeClient::WebSocket(
      port, {R"({"type":"subscribe","filter":{"eventNames":["Synced"]}})"});
  const uint64_t start = sse->Subscribed();
  REQUIRE(ws->Subscribed() == start);
  REQUIRE(synced_only->Subscribed() == start);

  Syncs(chain, 3, 1'000);
  std::vector<uint64_t> published = Published(chain, start);
  std::vector<Received> by_sse = sse->EventsThrough(published.back());
  std::vector<Received> by_ws = ws->EventsThrough(published.back());
  CHECK(Sequences(by_sse) == published);
  CHECK(Sequences(by_ws) == published);
  std::vector<uint64_t> synced;
  for (const Received& event : by_ws) {
    if (event.event_name == "Synced") synced.push_back(event.sequence);
  }
  REQUIRE(synced.size() == 3);
  CHECK(Sequences(synced_only->EventsThrough(synced.back())) == synced);

  // Forced disconnects; what is mined meanwhile arrives on resumption.
  sse->Kill();
  ws->Kill();
  Syncs(chain, 3, 2'000);
  sse = RealtimeClient::EventStream(port, "", by_sse.back().sequence);
  ws = RealtimeClient::WebSocket(
      port, {absl::StrCat(R"({"type":"subscribe","afterSequence":")",
                          by_ws.back().sequence, R"("})")});
  CHECK(sse->Subscribed() == by_sse.back().sequence);
  CHECK(ws->Subscribed() == by_ws.back().sequence);
  Syncs(chain, 2, 3'000);
  published = Published(chain, start);
  for (auto [client, received] :
       {std::pair{sse.get(), &by_sse}, std::pair{ws.get(), &by_ws}}) {
    for (const Received& event : client->EventsThrough(published.back())) {
      received->push_back(event);
    }
    CHECK(Sequences(*received) == published);
  }

  // Two events back is within the ring.
  const uint64_t recent = published[published.size() - 3];
  auto from_ring = RealtimeClient::WebSocket(
      port,
      {absl::StrCat(R"({"type":"subscribe","after_sequence":)", recent, "}")});
  CHECK(from_ring->Subscribed() == recent);
  CHECK(Sequences(from_ring->EventsThrough(published.back())) ==
        std::vector<uint64_t>(published.end() - 2, published.end()));
  CHECK(chain.gateway->Metric(R"(realtime_clients{transport="sse"})") == 1);

  // A gateway started afresh serves a client that resumes from its ring,
  // which it filled from the indexer.
  chain.StartGateway({});
  const uint64_t earlier = published[published.size() - 8];
  auto after_restart =
      RealtimeClient::EventStream(chain.gateway->port(), "", earlier);
  CHECK(after_restart->Subscribed() == earlier);
  CHECK(Sequences(after_restart->EventsThrough(published.back())) ==
        std::vector<uint64_t>(published.end() - 7, published.end()));
  CHECK(chain.gateway->Metric("realtime_catch_ups") == 0);
  CHECK(chain.gateway->Metric("realtime_ring_events") >= published.size());
}

TEST_CASE("a reorg reaches realtime clients as removals",
          "[gateway][realtime]") {
  testing::PrivateEnvironment own;
  IndexedChain chain(own.environment().rpc_url);
  evm::JsonRpcClient& client = chain.workload->client();
  auto ws = RealtimeClient::WebSocket(chain.gateway->port(),
                                      {R"({"type":"subscribe"})"});
  auto sse = RealtimeClient::EventStream(chain.gateway->port(), "");
  const uint64_t start = ws->Subscribed();
  sse->Subscribed();

  const auto snapshot = client.Call("evm_snapshot", "[]");
  REQUIRE(snapshot.ok());
  Syncs(chain, 2, 5'000);
  const std::vector<uint64_t> published = Published(chain, start);
  std::map<std::string, uint64_t> orphaned;
  for (const Received& event : ws->EventsThrough(published.back())) {
    orphaned[event.content] = event.sequence;
  }
  sse->EventsThrough(published.back());
  REQUIRE(orphaned.size() == 4);

  REQUIRE(client.Call("evm_revert", absl::StrCat("[", *snapshot, "]")).ok());
  chain.workload->Sync(0, 7'000);
  for (int i = 0; i < 3; ++i) REQUIRE(client.Call("evm_mine", "[]").ok());
  const std::vector<uint64_t> after_reorg = Published(chain, published.back());
  for (RealtimeClient* follower : {ws.get(), sse.get()}) {
    size_t removed = 0;
    for (const Received& event : follower->EventsThrough(after_reorg.back())) {
      if (!event.removed) continue;
      INFO(event.line);
      CHECK(orphaned.count(event.content) == 1);
      ++removed;
    }
    CHECK(removed == orphaned.size());
  }
}

// SlowReader asks for the event stream and never reads it, with a receive
// buffer as small as the kernel allows.
class SlowReader {
 public:
  explicit SlowReader(int port) : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const int size = 1024;
    ::setsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(socket_, reinterpret_cast<sockaddr*>(&address),
                      sizeof(address)) == 0);
    const std::string request =
        "GET /api/realtime/stream HTTP/1.1\r\nhost: gateway\r\n\r\n";
    REQUIRE(::write(socket_, request.data(), request.size()) ==
            static_cast<ssize_t>(request.size()));
  }
  ~SlowReader() { ::close(socket_); }

  // ReadAll reads what the server sent until it closed.
  std::string ReadAll() {
    timeval timeout{.tv_sec = 30, .tv_usec = 0};
    ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::string text;
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(socket_, buffer, sizeof(buffer))) > 0) {
      text.append(buffer, static_cast<size_t>(got));
    }
    return text;
  }

 private:
  int socket_;
};

TEST_CASE("a slow realtime client is disconnected and the others keep up",
          "[gateway][realtime]") {
  IndexedChain chain(
      testing::GetTestEnvironment().rpc_url,
      {"--realtime_client_queue=64", "--realtime_send_buffer=4096"});
  auto ws = RealtimeClient::WebSocket(chain.gateway->port(),
                                      {R"({"type":"subscribe"})"});
  const uint64_t start = ws->Subscribed();
  SlowReader slow(chain.gateway->port());
  const std::string slow_disconnects =
      R"(realtime_slow_client_disconnects_total{transport="sse"})";
  std::vector<Received> fast;
  for (int round = 0;
       round < 40 && chain.gateway->Metric(slow_disconnects) == 0; ++round) {
    Syncs(chain, 10, 10'000 + round * 10);
    ws->ReadArrived(fast);
  }
  REQUIRE(chain.gateway->Metric(slow_disconnects) == 1);
  const std::vector<uint64_t> published = Published(chain, start);
  CHECK(Sequences(ws->EventsThrough(published.back(), std::move(fast))) ==
        published);
  const std::string seen = slow.ReadAll();
  CHECK(absl::StrContains(seen, "event: close\ndata: too slow"));
  CHECK(chain.gateway->Metric(
            R"(realtime_messages_dropped_total{transport="sse"})") >= 1);
}

TEST_CASE("realtime clients see no gap when the indexer restarts",
          "[gateway][realtime]") {
  IndexedChain chain;
  auto ws = RealtimeClient::WebSocket(chain.gateway->port(),
                                      {R"({"type":"subscribe"})"});
  const uint64_t start = ws->Subscribed();
  Syncs(chain, 2, 20'000);
  Published(chain, start);
  chain.indexer->Signal(SIGKILL);
  REQUIRE(chain.indexer->Wait(absl::Seconds(10)).ok());
  Syncs(chain, 3, 21'000);
  chain.indexer =
      indexer::StartIndexer(chain.database.url(), chain.deployment,
                            testing::GetTestEnvironment().rpc_url,
                            {"--poll_interval=50ms",
                             absl::StrCat("--grpc_port=", chain.indexer_port)});
  indexer::GrpcPortWhenReady(*chain.indexer);
  Syncs(chain, 1, 22'000);
  const std::vector<uint64_t> published = Published(chain, start);
  CHECK(Sequences(ws->EventsThrough(published.back())) == published);
  CHECK(chain.gateway->Metric("realtime_upstream_reconnects_total") >= 1);
}

TEST_CASE("every WebSocket message is answered, however fast they come",
          "[gateway][realtime]") {
  IndexedChain chain;
  // 200 subscribes and 200 pings in one burst once lost a third of the
  // answers, silently, to a queue that each subscription's catch-up had
  // filled with events. Half of them catch up from the start.
  std::vector<std::string> burst;
  for (int i = 0; i < 200; ++i) {
    burst.push_back(i % 2 == 0 ? R"({"type":"subscribe","afterSequence":"0"})"
                               : R"({"type":"subscribe"})");
    burst.push_back(R"({"type":"ping"})");
  }
  auto ws = RealtimeClient::WebSocket(chain.gateway->port(), burst);
  int subscribed = 0;
  int pongs = 0;
  while (subscribed + pongs < 400) {
    const std::optional<Received> received = ws->Next(absl::Seconds(30));
    INFO(subscribed << " subscribed and " << pongs << " pongs so far");
    REQUIRE(received.has_value());
    INFO(received->line);
    if (received->kind == "event") continue;
    if (received->kind == "subscribed") {
      ++subscribed;
    } else {
      REQUIRE(received->text == R"({"type":"pong"})");
      ++pongs;
    }
  }
  CHECK(subscribed == 200);
  CHECK(pongs == 200);
}

TEST_CASE("bad realtime requests get an error that names the problem",
          "[gateway][realtime]") {
  IndexedChain chain;
  GatewayProcess& gateway = *chain.gateway;
  const struct {
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    std::string message;
  } cases[] = {
      {"/api/realtime/stream?filter.accountAddresses=0x12", {}, 400, "0x12"},
      {"/api/realtime/stream",
       {{"last-event-id", "yesterday"}},
       400,
       "Last-Event-ID \\\"yesterday\\\""},
      {"/api/realtime/stream?after_sequence=-1", {}, 400, "after_sequence"},
      {"/api/realtime/ws", {}, 426, "WebSocket"},
      // Streams are public, but a token that comes must be valid.
      {"/api/realtime/stream",
       {{"authorization", "Bearer not.a.token"}},
       401,
       "UNAUTHENTICATED"},
      {"/api/realtime/stream",
       {{"authorization",
         absl::StrCat("Bearer ",
                      Token("0x0000000000000000000000000000000000000001", "",
                            absl::Now() - absl::Hours(1)))}},
       401,
       "expired"},
  };
  for (const auto& bad : cases) {
    const auto response = gateway.Send("GET", bad.target, "", "", bad.headers);
    INFO(bad.target << " -> " << response.body);
    CHECK(response.status == bad.status);
    CHECK(absl::StrContains(response.body, bad.message));
  }

  auto ws = RealtimeClient::WebSocket(
      gateway.port(),
      {"", "not json", R"({"type":"dance"})", R"({"type":"ping"})",
       R"({"type":"subscribe","filter":{"accountAddresses":["nope"]}})",
       R"({"type":"subscribe","since":"1"})", R"({"type":"unsubscribe"})"});
  for (const char* expected :
       {"not a ClientMessage", R"(unknown message type \"dance\")",
        R"({"type":"pong"})", "nope", "since", R"({"type":"unsubscribed"})"}) {
    const std::optional<Received> received = ws->Next(absl::Seconds(30));
    REQUIRE(received.has_value());
    INFO(received->line);
    CHECK(received->kind == "message");
    CHECK(absl::StrContains(received->text, expected));
  }
}

}  // namespace
}  // namespace chainsync::gateway
