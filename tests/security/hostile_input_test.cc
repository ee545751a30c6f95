// Hostile requests against the running binaries — the indexer, and the
// gateway in front of it — each an attack that once worked, kept here so
// that it stays fixed.
#include <catch2/catch.hpp>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "tests/services/api-gateway/indexed_chain.h"
#include "tests/support/idle_socket.h"

namespace chainsync::gateway {
namespace {

constexpr char kReconnects[] = "realtime_upstream_reconnects_total";

TEST_CASE("an oversized parameter is refused before it reaches a backend",
          "[security]") {
  IndexedChain chain;
  const double reconnects = chain.gateway->Metric(kReconnects);
  // Once answered 429 "received initial metadata size exceeds limit", and
  // reset the gateway's one channel to the indexer for every caller. Now
  // such a URL is refused at the door...
  const HttpClientResponse huge = chain.gateway->Send(
      "GET", "/api/events?contractAddresses=0x" + std::string(9000, 'a'));
  CHECK(huge.status == 414);
  CHECK(huge.body.size() < 512);
  // ...and a parameter that fits in a URL but not in a backend's error
  // never leaves the gateway.
  const HttpClientResponse large = chain.gateway->Send(
      "GET", "/api/events?contractAddresses=0x" + std::string(5000, 'a'));
  CHECK(large.status == 400);
  CHECK(absl::StrContains(large.body, "at most 1024"));
  CHECK(large.body.size() < 512);
  // Under the gateway's limit, the indexer refuses it, quoting a prefix.
  const HttpClientResponse refused = chain.gateway->Send(
      "GET", "/api/events?contractAddresses=0x" + std::string(1000, 'a'));
  CHECK(refused.status == 400);
  CHECK(absl::StrContains(refused.body, "(1002 bytes)"));
  CHECK(refused.body.size() < 512);
  // The channel held: the next caller is served, and the realtime upstream
  // never had to reconnect.
  CHECK(chain.gateway->Send("GET", "/api/indexer/sync-status").status == 200);
  CHECK(chain.gateway->Metric(kReconnects) == reconnects);
}

TEST_CASE("a 100 KiB value sent to the indexer gets a short error",
          "[security]") {
  IndexedChain chain;
  auto stub = indexer::v1::IndexerService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", chain.indexer_port),
                          grpc::InsecureChannelCredentials()));
  const auto deadline = [] {
    return std::chrono::system_clock::now() + std::chrono::seconds(10);
  };
  {
    // Once the error never arrived, and every later call on the channel
    // timed out.
    grpc::ClientContext context;
    context.set_deadline(deadline());
    indexer::v1::ListEventsRequest request;
    request.add_contract_addresses("0x" + std::string(100 << 10, 'a'));
    indexer::v1::ListEventsResponse response;
    const grpc::Status status = stub->ListEvents(&context, request, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(status.error_message().size() < 256);
    CHECK(absl::StrContains(status.error_message(), "bytes)"));
  }
  grpc::ClientContext context;
  context.set_deadline(deadline());
  indexer::v1::GetSyncStatusResponse response;
  CHECK(stub->GetSyncStatus(&context, {}, &response).ok());
}

TEST_CASE("HEAD is a GET without its body, on every kind of route",
          "[security]") {
  IndexedChain chain;
  // HEAD once answered 405 everywhere.
  for (const char* target : {"/api/indexer/sync-status",
                             "/api/events?pageSize=1", "/api/openapi.json"}) {
    INFO(target);
    const HttpClientResponse get = chain.gateway->Send("GET", target);
    const HttpClientResponse head = chain.gateway->Send("HEAD", target);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.Header("content-type") == get.Header("content-type"));
  }
  // A stream's HEAD is its head alone, not a stream that never ends (503
  // until the gateway follows the indexer's stream, just after its start).
  HttpClientResponse stream;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       absl::Now() < deadline; absl::SleepFor(absl::Milliseconds(50))) {
    stream = chain.gateway->Send("HEAD", "/api/realtime/stream");
    if (stream.status != 503) break;
  }
  CHECK(stream.status == 200);
  CHECK(stream.Header("content-type") == "text/event-stream");
}

TEST_CASE("no input makes a database's words reach a caller", "[security]") {
  IndexedChain chain;
  const struct {
    std::string target;
    std::string says;
  } cases[] = {
      // A block beyond bigint once answered Postgres's "out of range".
      {"/api/events?fromBlock=9223372036854775808", "beyond the highest block"},
      {"/api/events?toBlock=18446744073709551615", "beyond the highest block"},
      // A crafted page token once went into SQL as it came.
      {"/api/events?pageToken=" + absl::WebSafeBase64Escape("x|y"),
       "not a token of this list"},
      {"/api/events?pageToken=" + absl::WebSafeBase64Escape("-1|0"),
       "not a token of this list"},
      // A NUL byte in an event name once answered Postgres's encoding error.
      {"/api/events?eventNames=Trans%00fer", "is not an event name"},
      // A position beyond any sequence once opened a stream that never
      // delivered.
      {"/api/realtime/stream?afterSequence=18446744073709551615",
       "beyond any event"},
  };
  for (const auto& hostile : cases) {
    INFO(hostile.target);
    const HttpClientResponse answer =
        chain.gateway->Send("GET", hostile.target);
    CHECK(answer.status == 400);
    CHECK(absl::StrContains(answer.body, hostile.says));
    CHECK_FALSE(absl::StrContains(answer.body, "SQLSTATE"));
  }
  // A token the indexer made still leads to the next page.
  const HttpClientResponse first =
      chain.gateway->Send("GET", "/api/events?pageSize=1");
  REQUIRE(first.status == 200);
  simdjson::dom::parser parser;
  const std::string token(
      parser.parse(first.body)["nextPageToken"].get_string().value());
  REQUIRE_FALSE(token.empty());
  CHECK(chain.gateway->Send("GET", "/api/events?pageSize=1&pageToken=" + token)
            .status == 200);
}

TEST_CASE("a flood of idle connections locks nobody else out", "[security]") {
  IndexedChain chain(testing::GetTestEnvironment().rpc_url,
                     {"--max_connections_per_address=50"});
  chain.gateway->DrainLog();
  const int lines_before = chain.gateway->log_lines();
  // Twenty thousand once took every descriptor: the gateway spun on
  // accept, logged 130,000 lines a second and refused everyone.
  std::vector<testing::IdleSocket> flood;
  for (int i = 0; i < 2000; ++i) {
    flood.emplace_back(chain.gateway->port(), "127.0.0.2");
  }
  // The gateway refuses them as fast as it accepts them, on a busy machine
  // a moment after they connected.
  const std::string refused =
      R"(http_connections_refused_total{reason="per_address"})";
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       chain.gateway->Metric(refused) < 1950 && absl::Now() < deadline;) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  int closed = 0;
  for (const testing::IdleSocket& socket : flood) {
    closed += socket.ClosedByServer(std::chrono::milliseconds(50));
  }
  CHECK(closed == 1950);
  CHECK(chain.gateway->Send("GET", "/api/indexer/sync-status").status == 200);
  CHECK(chain.gateway->Metric(refused) == 1950);
  // A line a second at most, not one per refusal.
  chain.gateway->DrainLog();
  CHECK(chain.gateway->log_lines() - lines_before < 20);
}

TEST_CASE("a flood of refused requests is counted, not logged line by line",
          "[security]") {
  IndexedChain chain;
  chain.gateway->DrainLog();
  const int lines_before = chain.gateway->log_lines();
  // Every 4xx was an info line: 575 MB of logs under wrk.
  for (int i = 0; i < 500; ++i) {
    CHECK(chain.gateway->Send("GET", "/api/events?fromBlock=x").status == 400);
  }
  CHECK(
      chain.gateway->Metric(
          R"(http_requests_total{route="/api/events",method="GET",code="400"})") ==
      500);
  chain.gateway->DrainLog();
  CHECK(chain.gateway->log_lines() - lines_before < 20);
}

// OpenStream opens a Subscribe stream from the latest event and waits for
// its first message (caught up), so that the indexer has counted it.
struct OpenStream {
  OpenStream(indexer::v1::IndexerService::Stub& stub)
      : reader(stub.Subscribe(&context, {})) {}
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<indexer::v1::SubscribeResponse>> reader;
  indexer::v1::SubscribeResponse first;
};

std::unique_ptr<indexer::v1::IndexerService::Stub> StubFor(int port) {
  // A channel of its own each: gRPC would share one connection between
  // channels to the same address.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return indexer::v1::IndexerService::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                grpc::InsecureChannelCredentials(), arguments));
}

int ThreadsOf(pid_t pid) {
  int threads = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/task"))) {
    ++threads;
  }
  return threads;
}

TEST_CASE("Subscribe streams are bounded", "[security]") {
  IndexedChain chain;
  // A second indexer on the same database (a standby, which serves the API
  // too), allowing two streams.
  auto bounded = indexer::StartIndexer(chain.database.url(), chain.deployment,
                                       testing::GetTestEnvironment().rpc_url,
                                       {"--max_subscribers=2"});
  auto stub = StubFor(indexer::GrpcPortWhenReady(*bounded));
  auto first = std::make_unique<OpenStream>(*stub);
  REQUIRE(first->reader->Read(&first->first));
  OpenStream second(*stub);
  REQUIRE(second.reader->Read(&second.first));
  {
    OpenStream third(*stub);
    CHECK_FALSE(third.reader->Read(&third.first));
    const grpc::Status refused = third.reader->Finish();
    CHECK(refused.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(absl::StrContains(refused.error_message(), "too many Subscribe"));
  }
  // A stream that ends makes room for the next.
  first->context.TryCancel();
  first->reader->Finish();
  first.reset();
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    OpenStream next(*stub);
    admitted = next.reader->Read(&next.first);
    if (!admitted) absl::SleepFor(absl::Milliseconds(100));
    next.context.TryCancel();
  }
  CHECK(admitted);
  second.context.TryCancel();
}

TEST_CASE("open Subscribe streams cost no thread each", "[security]") {
  IndexedChain chain;
  // 4,000 streams once made 4,016 threads.
  auto indexer = indexer::StartIndexer(chain.database.url(), chain.deployment,
                                       testing::GetTestEnvironment().rpc_url,
                                       {"--max_subscribers=2000"});
  const int port = indexer::GrpcPortWhenReady(*indexer);
  const int threads_before = ThreadsOf(indexer->pid());
  std::vector<std::unique_ptr<indexer::v1::IndexerService::Stub>> stubs;
  for (int i = 0; i < 10; ++i) stubs.push_back(StubFor(port));
  std::vector<std::unique_ptr<OpenStream>> streams;
  for (int i = 0; i < 1000; ++i) {
    streams.push_back(std::make_unique<OpenStream>(*stubs[i % stubs.size()]));
  }
  int caught_up = 0;
  for (auto& stream : streams) {
    if (stream->reader->Read(&stream->first) && stream->first.has_caught_up())
      ++caught_up;
  }
  CHECK(caught_up == 1000);
  CHECK(ThreadsOf(indexer->pid()) < threads_before + 16);
  // Every stream still sees what is indexed next.
  chain.workload->Sync(0, 123456);
  int delivered = 0;
  for (auto& stream : streams) {
    indexer::v1::SubscribeResponse message;
    if (stream->reader->Read(&message) && message.has_event()) ++delivered;
  }
  CHECK(delivered == 1000);
  for (auto& stream : streams) stream->context.TryCancel();
}

}  // namespace
}  // namespace chainsync::gateway
