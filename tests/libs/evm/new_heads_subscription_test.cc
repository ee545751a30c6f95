// newHeads over WebSocket against anvil: blocks arrive as they are mined, a
// node without WebSocket is reported at start, and a restarted node is
// subscribed to again.
#include "libs/evm/new_heads_subscription.h"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "libs/evm/json_rpc_client.h"
#include "tests/support/http_test_server.h"
#include "tests/support/test_env.h"

namespace chainsync::evm {
namespace {

// Heads collects what a subscription delivers.
class Heads {
 public:
  NewHeadsSubscription::Callback Callback() {
    return [this](const BlockHeader& header) {
      std::lock_guard<std::mutex> lock(mu_);
      headers_.push_back(header);
      arrived_.notify_all();
    };
  }
  // WaitFor returns the header of block `number` once it arrives.
  std::optional<BlockHeader> WaitFor(uint64_t number) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<BlockHeader> found;
    arrived_.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const BlockHeader& header : headers_) {
        if (header.number == number) found = header;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<BlockHeader> headers_;
};

std::string WebSocketUrl(const std::string& rpc_url) {
  return absl::StrReplaceAll(rpc_url, {{"http://", "ws://"}});
}

TEST_CASE("mined blocks arrive over newHeads", "[newheads]") {
  const std::string rpc_url = testing::GetTestEnvironment().rpc_url;
  auto client = *JsonRpcClient::Create({.endpoints = {rpc_url}});
  Heads heads;
  auto subscription = NewHeadsSubscription::Start(
      {.url = WebSocketUrl(rpc_url)}, heads.Callback());
  REQUIRE(subscription.ok());
  CHECK((*subscription)->connected());
  const uint64_t before = *client->BlockNumber();
  REQUIRE(client->Call("evm_mine", "[]").ok());
  REQUIRE(client->Call("evm_mine", "[]").ok());
  // Other tests share this node and mine too: the two blocks above are at or
  // after before + 1.
  const auto first = heads.WaitFor(before + 1);
  REQUIRE(first.has_value());
  const auto second = heads.WaitFor(before + 2);
  REQUIRE(second.has_value());
  CHECK(second->parent_hash == first->hash);
  const auto stored = client->GetBlockByNumber(BlockRef::Number(before + 2));
  CHECK((*stored)->hash == second->hash);
}

TEST_CASE("a node without WebSocket is reported at start", "[newheads]") {
  auto server = testing::StartHttpServer(HttpRouter());
  const auto subscription = NewHeadsSubscription::Start(
      {.url = WebSocketUrl(testing::UrlOf(*server, "/"))},
      [](const BlockHeader&) {});
  CHECK(absl::IsUnavailable(subscription.status()));
  CHECK(absl::IsInvalidArgument(
      NewHeadsSubscription::Start({.url = "http://x"}, [](const BlockHeader&) {
      }).status()));
}

TEST_CASE("the subscription returns after the node restarts", "[newheads]") {
  testing::PrivateEnvironment own;
  const std::string rpc_url = own.environment().rpc_url;
  Heads heads;
  auto subscription = NewHeadsSubscription::Start(
      {.url = WebSocketUrl(rpc_url),
       .reconnect = {.initial_delay = absl::Milliseconds(50),
                     .max_delay = absl::Milliseconds(200)}},
      heads.Callback());
  REQUIRE(subscription.ok());
  own.RestartAnvil();
  for (int i = 0; i < 200 && !(*subscription)->connected(); ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  REQUIRE((*subscription)->connected());
  auto client = *JsonRpcClient::Create({.endpoints = {rpc_url}});
  // The restarted chain starts again at block 0.
  REQUIRE(client->Call("evm_mine", "[]").ok());
  CHECK(heads.WaitFor(1).has_value());
}

}  // namespace
}  // namespace chainsync::evm
