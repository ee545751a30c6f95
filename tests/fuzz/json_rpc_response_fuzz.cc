// Fuzzes the JSON-RPC response parser: the input is what a node answers to
// every typed call. Nothing may crash, and an answer is either parsed whole
// or refused.
#include <cstdint>
#include <string>

#include "libs/common/logging/log.h"
#include "libs/evm/json_rpc_client.h"
#include "tests/support/fake_clock.h"

namespace {

class FixedAnswer final : public chainsync::evm::JsonRpcTransport {
 public:
  explicit FixedAnswer(const std::string* body) : body_(body) {}
  absl::StatusOr<chainsync::HttpClientResponse> Post(
      const std::string&, const std::string&) override {
    return chainsync::HttpClientResponse{.status = 200, .body = *body_};
  }

 private:
  const std::string* body_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::string body;
  static chainsync::testing::FakeClock clock;
  static const auto client = [] {
    chainsync::log::SetSinkForTesting([](absl::string_view) {});
    chainsync::evm::JsonRpcOptions options;
    options.endpoints = {"http://node"};
    options.call.retry.max_attempts = 1;
    options.clock = &clock;
    return *chainsync::evm::JsonRpcClient::Create(
        options, std::make_unique<FixedAnswer>(&body));
  }();
  body.assign(reinterpret_cast<const char*>(data), size);
  (void)client->GetLogs({.from_block = 1, .to_block = 2});
  (void)client->GetBlockByNumber(chainsync::evm::BlockRef::Latest());
  (void)client->GetTransactionReceipt(chainsync::evm::Hash{});
  (void)client->GetFeeHistory(2, chainsync::evm::BlockRef::Latest(), {50});
  (void)client->GetBlocksByNumber({1, 2, 3});
  (void)client->EthCall({}, chainsync::evm::BlockRef::Latest());
  return 0;
}
