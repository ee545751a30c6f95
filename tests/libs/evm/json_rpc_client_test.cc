// The JSON-RPC client against a scripted node: batching, fail-over, retries,
// malformed answers, provider range limits and error mapping. The real node
// (anvil) is exercised in json_rpc_anvil_test.cc.
#include "libs/evm/json_rpc_client.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "simdjson.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http_test_server.h"

namespace chainsync::evm {
namespace {

// A node's answer to one request: the JSON of "result", or of "error".
struct Answer {
  std::string result;
  std::string error;
};
using Script =
    std::function<Answer(const std::string& method, const std::string& params)>;

// FakeNode answers JSON-RPC requests (single or batched, in reverse order to
// test matching by id) from a script; `raw` overrides the whole body.
class FakeNode {
 public:
  explicit FakeNode(Script script, std::function<std::string()> raw = {})
      : script_(std::move(script)), raw_(std::move(raw)) {
    HttpRouter router;
    router.Handle("POST", "/", [this](HttpRequest request, HttpReply reply) {
      ++requests_;
      if (raw_) return std::move(reply).Send(HttpResponse::Json(200, raw_()));
      std::move(reply).Send(HttpResponse::Json(200, Respond(request.body)));
    });
    server_ = testing::StartHttpServer(std::move(router));
  }

  std::string url() const { return testing::UrlOf(*server_, "/"); }
  int requests() const { return requests_.load(); }

 private:
  std::string Envelope(simdjson::dom::element request) {
    const std::string method(request["method"].get_string().value());
    const std::string params = simdjson::minify(request["params"].value());
    const struct Answer answer = script_(method, params);
    return absl::StrCat(
        R"({"jsonrpc":"2.0","id":)", request["id"].get_uint64().value(), ",",
        answer.error.empty() ? absl::StrCat(R"("result":)", answer.result)
                             : absl::StrCat(R"("error":)", answer.error),
        "}");
  }

  std::string Respond(const std::string& body) {
    simdjson::dom::parser parser;
    simdjson::dom::element document = parser.parse(body);
    simdjson::dom::array batch;
    if (document.get(batch) != simdjson::SUCCESS) return Envelope(document);
    std::vector<std::string> answers;
    for (simdjson::dom::element request : batch)
      answers.insert(answers.begin(), Envelope(request));
    return absl::StrCat("[", absl::StrJoin(answers, ","), "]");
  }

  Script script_;
  std::function<std::string()> raw_;
  std::atomic<int> requests_{0};
  std::unique_ptr<HttpServer> server_;
};

std::unique_ptr<JsonRpcClient> ClientFor(std::vector<std::string> endpoints,
                                         testing::FakeClock* clock,
                                         int attempts = 4) {
  JsonRpcOptions options;
  options.endpoints = std::move(endpoints);
  options.clock = clock;
  options.call.retry.max_attempts = attempts;
  options.request_timeout = absl::Seconds(5);
  auto client = JsonRpcClient::Create(options);
  REQUIRE(client.ok());
  return *std::move(client);
}

TEST_CASE("typed calls parse the node's answers", "[json_rpc]") {
  FakeNode node(
      [](const std::string& method, const std::string& params) -> Answer {
        if (method == "eth_chainId") return {R"("0x7a69")"};
        if (method == "eth_getBlockByNumber" && params == R"(["0x2a",false])") {
          return {R"({"number":"0x2a","hash":"0x)" + std::string(64, 'a') +
                  R"(","parentHash":"0x)" + std::string(64, 'b') +
                  R"(","timestamp":"0x64","baseFeePerGas":"0x7"})"};
        }
        if (method == "eth_getBlockByNumber") return {"null"};
        return {"", R"({"code":-32601,"message":"method not found"})"};
      });
  testing::FakeClock clock;
  auto client = ClientFor({node.url()}, &clock);
  CHECK(*client->ChainId() == 31337);
  const auto block = client->GetBlockByNumber(BlockRef::Number(42));
  REQUIRE(block.ok());
  REQUIRE(block->has_value());
  CHECK((*block)->number == 42);
  CHECK(ToHex((*block)->parent_hash) == "0x" + std::string(64, 'b'));
  CHECK((*block)->timestamp == 100);
  CHECK(*(*block)->base_fee_per_gas == 7);
  const auto missing = client->GetBlockByNumber(BlockRef::Number(43));
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  const auto unknown = client->GasPrice();
  REQUIRE(absl::IsUnimplemented(unknown.status()));
  CHECK(std::string(unknown.status().message())
            .rfind("eth_gasPrice: method not found", 0) == 0);
}

TEST_CASE("a batch matches answers to requests by id", "[json_rpc]") {
  FakeNode node([](const std::string&, const std::string& params) -> Answer {
    const std::string number = params.substr(2, params.find('"', 2) - 2);
    return {R"({"number":")" + number + R"(","hash":"0x)" +
            std::string(64, '1') + R"(","parentHash":"0x)" +
            std::string(64, '2') + R"(","timestamp":"0x1"})"};
  });
  testing::FakeClock clock;
  auto client = ClientFor({node.url()}, &clock);
  const auto headers = client->GetBlocksByNumber({5, 6, 7, 8});
  REQUIRE(headers.size() == 4);
  for (uint64_t i = 0; i < 4; ++i) {
    REQUIRE(headers[i].ok());
    CHECK((*headers[i])->number == 5 + i);
  }
  CHECK(node.requests() == 1);
}

TEST_CASE("a failing endpoint fails over to the next", "[json_rpc]") {
  int closed_port;
  {
    auto closed = testing::StartHttpServer(HttpRouter());
    closed_port = closed->port();
  }
  FakeNode node([](const std::string&, const std::string&) -> Answer {
    return {R"("0x10")"};
  });
  testing::FakeClock clock;
  auto client = ClientFor(
      {absl::StrCat("http://127.0.0.1:", closed_port, "/"), node.url()},
      &clock);
  CHECK(*client->BlockNumber() == 16);
  CHECK(*client->BlockNumber() == 16);
  // The second call went straight to the endpoint that worked.
  CHECK(node.requests() == 2);
  CHECK(clock.sleeps().empty());
}

TEST_CASE("truncated answers are retried, then an error naming the method",
          "[json_rpc]") {
  std::atomic<int> calls{0};
  FakeNode flaky(nullptr, [&calls] {
    return calls++ < 2
               ? std::string(R"({"jsonrpc":"2.0","id":1,"res)")
               : std::string(R"({"jsonrpc":"2.0","id":1,"result":"0x5"})");
  });
  testing::FakeClock clock;
  auto client = ClientFor({flaky.url()}, &clock);
  CHECK(*client->BlockNumber() == 5);
  CHECK(clock.sleeps().size() == 2);

  FakeNode broken(nullptr, [] { return std::string(R"([{"jsonrpc")"); });
  auto failing = ClientFor({broken.url()}, &clock, 3);
  const auto result = failing->BlockNumber();
  REQUIRE(absl::IsUnavailable(result.status()));
  CHECK(std::string(result.status().message())
            .rfind("eth_blockNumber: malformed response", 0) == 0);
  CHECK(broken.requests() == 3);
}

TEST_CASE("each call may choose its own retry policy on one connection",
          "[json_rpc]") {
  FakeNode broken(nullptr, [] { return std::string(R"({"jsonrpc")"); });
  testing::FakeClock clock;
  auto client = ClientFor({broken.url()}, &clock, 5);
  JsonRpcClient once = client->WithRetry({.max_attempts = 1});
  CHECK(absl::IsUnavailable(once.BlockNumber().status()));
  CHECK(broken.requests() == 1);
  CHECK(clock.sleeps().empty());
  // The client it came from keeps its own policy.
  CHECK(absl::IsUnavailable(client->BlockNumber().status()));
  CHECK(broken.requests() == 6);
  CHECK(clock.sleeps().size() == 4);
}

TEST_CASE("a Retry-After answer is waited out before the next round",
          "[json_rpc]") {
  std::atomic<int> calls{0};
  HttpRouter router;
  router.Handle("POST", "/", [&calls](HttpRequest, HttpReply reply) {
    if (calls++ == 0) {
      HttpResponse busy = HttpResponse::Json(429, "{}");
      busy.headers.emplace_back("retry-after", "3");
      return std::move(reply).Send(std::move(busy));
    }
    std::move(reply).Send(
        HttpResponse::Json(200, R"({"jsonrpc":"2.0","id":1,"result":"0x7"})"));
  });
  auto server = testing::StartHttpServer(std::move(router));
  testing::FakeClock clock;
  auto client = ClientFor({testing::UrlOf(*server, "/")}, &clock);
  CHECK(*client->BlockNumber() == 7);
  REQUIRE(clock.sleeps().size() == 1);
  CHECK(clock.sleeps()[0] == absl::Seconds(3));
}

TEST_CASE("a result of the wrong shape is an error, never a partial result",
          "[json_rpc]") {
  FakeNode node([](const std::string&, const std::string&) -> Answer {
    // The second log lacks its blockHash.
    return {
        R"([{"address":"0x0000000000000000000000000000000000000001","topics":[],"data":"0x",)"
        R"("blockNumber":"0x1","blockHash":"0x)" +
        std::string(64, 'a') + R"(","transactionHash":"0x)" +
        std::string(64, 'b') +
        R"(","transactionIndex":"0x0","logIndex":"0x0"},)"
        R"({"address":"0x0000000000000000000000000000000000000001","topics":[],"data":"0x",)"
        R"("blockNumber":"0x1","transactionHash":"0x)" +
        std::string(64, 'b') +
        R"(","transactionIndex":"0x0","logIndex":"0x1"}])"};
  });
  testing::FakeClock clock;
  auto client = ClientFor({node.url()}, &clock, 2);
  const auto logs = client->GetLogs({.from_block = 1, .to_block = 1});
  REQUIRE(absl::IsUnavailable(logs.status()));
  CHECK(std::string(logs.status().message())
            .find("eth_getLogs: malformed result") != std::string::npos);
  CHECK(std::string(logs.status().message())
            .find("log 1: missing or non-string \"blockHash\"") !=
        std::string::npos);
}

TEST_CASE("provider range limits are recognised", "[json_rpc]") {
  std::ifstream in(CHAINSYNC_TESTDATA_DIR "/vectors.json");
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  std::vector<std::string> errors;
  for (simdjson::dom::element error :
       parser.parse(text.str())["json_rpc_provider_limits"]["errors"]
           .get_array()) {
    errors.push_back(simdjson::minify(error));
  }
  REQUIRE(errors.size() == 3);
  for (size_t i = 0; i < errors.size(); ++i) {
    FakeNode node([&](const std::string&, const std::string&) -> Answer {
      return {"", errors[i]};
    });
    testing::FakeClock clock;
    auto client = ClientFor({node.url()}, &clock);
    const auto logs = client->GetLogs({.from_block = 1, .to_block = 1'000'000});
    INFO(errors[i]);
    REQUIRE(absl::IsResourceExhausted(logs.status()));
    CHECK(IsRangeLimit(logs.status()));
    CHECK(node.requests() == 1);  // not retried: the caller splits the range
    if (i == 2) {
      CHECK(SuggestedRange(logs.status()) ==
            std::make_pair(uint64_t{1}, uint64_t{500}));
    } else {
      CHECK_FALSE(SuggestedRange(logs.status()).has_value());
    }
  }
}

TEST_CASE("node errors map to canonical codes", "[json_rpc]") {
  FakeNode node([](const std::string& method, const std::string&) -> Answer {
    if (method == "eth_call") {
      return {
          "",
          R"({"code":3,"message":"execution reverted: not oracle","data":"0x08c379a0"})"};
    }
    if (method == "eth_sendRawTransaction") {
      return {"", R"({"code":-32000,"message":"nonce too low"})"};
    }
    if (method == "eth_getLogs") {
      // anvil's answer for blocks past its head.
      return {
          "",
          R"({"code":-32602,"message":"BlockOutOfRangeError: block height is 7 but requested was 9"})"};
    }
    return {"", R"({"code":-32602,"message":"invalid params"})"};
  });
  testing::FakeClock clock;
  auto client = ClientFor({node.url()}, &clock);
  const auto reverted = client->EthCall({.to = Address()}, BlockRef::Latest());
  REQUIRE(absl::IsFailedPrecondition(reverted.status()));
  CHECK(std::string(reverted.status().message()).find("0x08c379a0") !=
        std::string::npos);
  CHECK(absl::IsFailedPrecondition(
      client->SendRawTransaction(Bytes{1}).status()));
  CHECK(absl::IsInvalidArgument(
      client->GetCode(Address(), BlockRef::Latest()).status()));
  // Past the head: transient, retried, then UNAVAILABLE.
  CHECK(absl::IsUnavailable(
      client->GetLogs({.from_block = 8, .to_block = 9}).status()));
}

TEST_CASE("requests are spaced by the rate limit", "[json_rpc]") {
  FakeNode node([](const std::string&, const std::string&) -> Answer {
    return {R"("0x1")"};
  });
  testing::FakeClock clock;
  JsonRpcOptions options;
  options.endpoints = {node.url()};
  options.clock = &clock;
  options.rate_limit = 2;
  options.rate_burst = 1;
  auto client = *JsonRpcClient::Create(options);
  for (int i = 0; i < 3; ++i) REQUIRE(client->BlockNumber().ok());
  CHECK(clock.sleeps() == std::vector<absl::Duration>{absl::Milliseconds(500),
                                                      absl::Milliseconds(500)});
}

TEST_CASE("bad endpoints are refused at creation", "[json_rpc]") {
  CHECK(absl::IsInvalidArgument(JsonRpcClient::Create({}).status()));
  const auto bad =
      JsonRpcClient::Create({.endpoints = {"ws://node:8545/secret-key"}});
  REQUIRE(absl::IsInvalidArgument(bad.status()));
  CHECK(std::string(bad.status().message()).find("secret-key") ==
        std::string::npos);
}

}  // namespace
}  // namespace chainsync::evm
