// Faults from outside the indexer: it retries through them and the index
// ends up equal to a run that saw none.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "libs/common/http/http_client.h"
#include "re2/re2.h"
#include "simdjson.h"
#include "tests/services/indexer/indexer_test_support.h"
#include "tests/support/rpc_proxy.h"

namespace chainsync::indexer {
namespace {

uint64_t HexField(simdjson::dom::element object, const char* key) {
  return std::stoull(std::string(object[key].get_string().value_unsafe()),
                     nullptr, 16);
}

// A JSON-RPC request body's method, and the blocks it asks logs of (0 when
// it is not eth_getLogs).
struct RpcCall {
  std::string method;
  uint64_t log_span = 0;
};

RpcCall ParseCall(const std::string& body) {
  RpcCall parsed;
  simdjson::dom::parser parser;
  simdjson::dom::element call;
  if (parser.parse(body).get(call) != simdjson::SUCCESS) return parsed;
  if (call.is_array()) call = call.at(0);
  parsed.method = std::string(call["method"].get_string().value_unsafe());
  simdjson::dom::element filter;
  if (parsed.method == "eth_getLogs" &&
      call["params"].at(0).get(filter) == simdjson::SUCCESS) {
    parsed.log_span =
        HexField(filter, "toBlock") - HexField(filter, "fromBlock") + 1;
  }
  return parsed;
}

// The answer of a provider that refuses a range of logs as too large.
constexpr char kRangeLimitAnswer[] =
    R"({"jsonrpc":"2.0","id":1,"error":{"code":-32005,)"
    R"("message":"query returned more than 10000 results"}})";

// FaultyNode is a JSON-RPC proxy in front of anvil that answers every third
// request with a fault, in turn: a 500, a 429, a truncated body, an answer
// slower than the indexer's timeout; and a quarter of the eth_getLogs with
// logs carrying the hash of another block. It refuses eth_getLogs over more
// than kMaxLogBlocks blocks the way hosted providers do.
class FaultyNode {
 public:
  static constexpr uint64_t kMaxLogBlocks = 8;
  enum Fault { kServerError, kTooMany, kTruncated, kSlow, kStaleHash, kFaults };

  FaultyNode(std::string upstream, absl::Duration slow)
      : state_(std::make_shared<State>()),
        proxy_(std::move(upstream),
               [state = state_](const HttpRequest& request,
                                testing::RpcProxy::Forward forward) {
                 return state->Answer(request, forward);
               }) {
    state_->slow = slow;
  }

  std::string url() const { return proxy_.url(); }
  int injected(Fault fault) const { return state_->injected[fault].load(); }
  int range_limits() const { return state_->range_limits.load(); }

 private:
  struct State {
    absl::Duration slow;
    std::atomic<int> requests{0};
    std::atomic<int> injected[kFaults] = {};
    std::atomic<int> range_limits{0};
    std::mutex draw_mu;
    std::minstd_rand draws{20261206};

    HttpResponse Answer(const HttpRequest& request,
                        const testing::RpcProxy::Forward& forward) {
      const uint64_t span = ParseCall(request.body).log_span;
      if (span > kMaxLogBlocks) {
        ++range_limits;
        return HttpResponse::Json(200, kRangeLimitAnswer);
      }
      // Faults in turn on every third request; stale hashes on the first
      // answer to eth_getLogs that holds logs and on a quarter of the rest,
      // drawn from a seeded sequence: a fixed pattern can fail every retry
      // of a step that asks for logs more than once, and the few requests
      // for logs (more of them one block each) may draw none.
      const int n = ++requests;
      const auto fault = static_cast<Fault>((n / 3) % kStaleHash);
      const bool faulty = n % 3 == 0;
      bool stale = false;
      if (span > 0) {
        std::lock_guard<std::mutex> lock(draw_mu);
        stale = injected[kStaleHash] == 0 || draws() % 4 == 0;
      }
      if (faulty && fault == kServerError) {
        ++injected[fault];
        return HttpResponse::Text(500, "upstream broke");
      }
      if (faulty && fault == kTooMany) {
        ++injected[fault];
        return HttpResponse::Text(429, "slow down");
      }
      if (faulty && fault == kSlow) {
        ++injected[fault];
        absl::SleepFor(slow);
      }
      HttpResponse answer = forward();
      if (answer.status != 200) return answer;
      if (faulty && fault == kTruncated) {
        ++injected[fault];
        answer.body.resize(answer.body.size() / 2);
      }
      static const LazyRE2 kBlockHash = {R"("blockHash":"0x[0-9a-f]{64}")"};
      if (stale &&
          RE2::GlobalReplace(&answer.body, *kBlockHash,
                             absl::StrCat(R"("blockHash":"0x)",
                                          std::string(64, 'e'), "\"")) > 0) {
        ++injected[kStaleHash];
      }
      return answer;
    }
  };

  std::shared_ptr<State> state_;
  testing::RpcProxy proxy_;
};

TEST_CASE("a node that fails in every way still yields a correct index",
          "[indexer][fault]") {
  BusyChain chain(30);
  FaultyNode node(chain.rpc(), absl::Milliseconds(600));
  testing::ScopedDatabase database;
  auto indexer = StartIndexer(database.url(), chain.deployment, node.url(),
                              {"--max_batch_blocks=50", "--confirmations=3",
                               "--rpc_timeout=300ms", "--poll_interval=50ms"});
  // About 10 s alone; a busy machine and an unlucky draw of faults (each
  // failed step backs off further, up to 10 s) once took over a minute.
  const bool indexed =
      WaitForIndexed(*indexer, database.url(), chain.head, absl::Seconds(150));
  INFO(absl::StrJoin(indexer->lines(), "\n"));
  REQUIRE(indexed);
  indexer->Signal(SIGTERM);
  REQUIRE(*indexer->Wait(absl::Seconds(20)) == 0);
  for (int fault = 0; fault < FaultyNode::kFaults; ++fault) {
    INFO("fault " << fault);
    CHECK(node.injected(static_cast<FaultyNode::Fault>(fault)) > 0);
  }
  CHECK(node.range_limits() > 0);
  CheckEqualsCleanIndex(*chain.workload, *database.Connect());
}

TEST_CASE("Postgres restarted during ingestion: the indexer resumes",
          "[indexer][fault]") {
  BusyChain chain(100);

  // One block per batch, so that the restart lands in the middle of the
  // backfill.
  auto indexer =
      StartIndexer(chain.own.database_url(), chain.deployment, chain.rpc(),
                   {"--max_batch_blocks=1", "--confirmations=3"});
  REQUIRE(indexer->WaitForLine(R"("message":"ready")", absl::Seconds(30))
              .has_value());
  chain.own.RestartPostgres();
  const int64_t after_restart = IndexedBlock(chain.own.database_url());
  CHECK(after_restart < chain.head);
  REQUIRE(WaitForIndexed(*indexer, chain.own.database_url(), chain.head));
  // The restart ended the session that held the writer lock; the indexer
  // noticed, and took the lock again before it went on.
  const std::string log = absl::StrJoin(indexer->lines(), "\n");
  CHECK(absl::StrContains(log, R"("message":"indexer writer lock lost")"));
  CHECK(absl::StrContains(log.substr(log.find("indexer writer lock lost")),
                          R"("message":"indexer writer lock acquired")"));
  indexer->Signal(SIGTERM);
  REQUIRE(*indexer->Wait(absl::Seconds(20)) == 0);

  auto restarted = PgConnection::Connect({.url = chain.own.database_url()});
  REQUIRE(restarted.ok());
  CheckEqualsCleanIndex(*chain.workload, **restarted);
}

// LimitedNode is anvil behind a provider whose limit on eth_getLogs ranges
// can be lifted.
class LimitedNode final : public evm::JsonRpcTransport {
 public:
  explicit LimitedNode(std::atomic<uint64_t>& max_log_blocks)
      : max_log_blocks_(max_log_blocks),
        client_(*HttpClient::Create({.name = "limited"})) {}

  absl::StatusOr<HttpClientResponse> Post(const std::string& url,
                                          const std::string& body) override {
    if (ParseCall(body).log_span > max_log_blocks_.load()) {
      return HttpClientResponse{.status = 200, .body = kRangeLimitAnswer};
    }
    return client_->Send({.method = "POST",
                          .url = url,
                          .headers = {{"content-type", "application/json"}},
                          .body = body});
  }

 private:
  std::atomic<uint64_t>& max_log_blocks_;
  std::unique_ptr<HttpClient> client_;
};

TEST_CASE("batches narrow to a provider's range limit and grow back after it",
          "[indexer][fault]") {
  BusyChain chain(50);
  std::atomic<uint64_t> max_log_blocks{4};
  auto client = *evm::JsonRpcClient::Create(
      {.endpoints = {chain.rpc()}},
      std::make_unique<LimitedNode>(max_log_blocks));
  testing::ScopedDatabase database;
  auto pool = MigratedPool(database);
  PostgresChainStore store(*pool);
  auto registry =
      *ContractRegistry::FromDeployment(chain.workload->deployment());
  JsonRpcChainSource source(*client);
  ChainFollower follower(source, *registry, store,
                         {.chain_id = 31337,
                          .confirmations = 3,
                          .max_batch_blocks = 16,
                          .grow_after = 2,
                          .fetch_ahead = 0});

  // The first batches double from one block until one runs into the
  // limit: it is split to fit, and the next ones are cut to the limit.
  std::vector<uint64_t> first;
  absl::StatusOr<ChainFollower::StepResult> step;
  do {
    step = follower.Step();
    REQUIRE(step.ok());
    first.push_back(step->blocks_indexed);
  } while (step->blocks_indexed <= step->span && first.size() < 10);
  CHECK(first == std::vector<uint64_t>{1, 2, 4, 8});
  CHECK(step->span == 4);
  step = follower.Step();
  REQUIRE(step.ok());
  CHECK(step->blocks_indexed == 4);

  // Once the provider takes more, the span doubles after every two whole
  // batches, up to max_batch_blocks.
  max_log_blocks = 1000;
  std::vector<uint64_t> spans;
  for (int i = 0; i < 5; ++i) {
    step = follower.Step();
    REQUIRE(step.ok());
    spans.push_back(step->blocks_indexed);
  }
  CHECK(spans == std::vector<uint64_t>{4, 8, 8, 16, 16});
  FollowToHead(follower);
  CheckEqualsCleanIndex(*chain.workload, *database.Connect());
}

}  // namespace
}  // namespace chainsync::indexer
