// Realtime benchmark: how long from a block mined on anvil to its event on
// an indexer Subscribe stream. For each of `--blocks` blocks, one transfer
// is sent, the block is mined (evm_mine) and the clock runs until the
// stream delivers the event. Measured twice on the same chain: with the
// newHeads subscription waking the indexer, and with head polling only
// (--new_heads=false, --poll_interval). Blocks are mined at random moments
// so that polling is not in step with them.
//
//   build/bench/indexer_realtime [--blocks=200] [--poll_interval=200ms]
#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "bench/spray_chain.h"
#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(int, blocks, 200, "Blocks mined per mode.");
ABSL_FLAG(absl::Duration, poll_interval, absl::Milliseconds(200),
          "The indexer's poll interval.");

namespace chainsync::bench {
namespace {

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t index = static_cast<size_t>(p * (values.size() - 1) + 0.5);
  return values[index];
}

void Measure(SprayChain& chain, const char* mode,
             const std::vector<std::string>& flags) {
  IndexerProcess indexer(chain, flags);
  auto stub = indexer::v1::IndexerService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", indexer.grpc_port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  // Everything so far, then live events: once caught up, the stream is
  // live.
  indexer::v1::SubscribeRequest request;
  request.set_after_sequence(0);
  auto reader = stub->Subscribe(&context, request);
  indexer::v1::SubscribeResponse message;
  while (!message.has_caught_up()) {
    if (!reader->Read(&message)) {
      Check(absl::UnavailableError("stream ended before caught_up"),
            "Subscribe");
    }
  }

  std::mt19937 random(42);
  std::uniform_int_distribution<int64_t> pause_ms(
      0, absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_poll_interval)));
  std::vector<double> latencies_ms;
  const int blocks = absl::GetFlag(FLAGS_blocks);
  for (int i = 0; i < blocks; ++i) {
    absl::SleepFor(absl::Milliseconds(pause_ms(random)));
    chain.Spray(1, 1000, i);
    const absl::Time mined = absl::Now();
    const uint64_t block = chain.Mine();
    while (true) {
      if (!reader->Read(&message)) {
        Check(absl::UnavailableError("stream ended"), "Subscribe");
      }
      if (message.has_event() &&
          message.event().position().block_number() == block) {
        break;
      }
    }
    latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - mined));
    // Keep the log pipe drained.
    while (indexer.process().ReadLine(absl::ZeroDuration()).has_value()) {
    }
  }
  context.TryCancel();
  std::printf(
      "%-9s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (%d blocks)\n", mode,
      Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99),
      *std::max_element(latencies_ms.begin(), latencies_ms.end()), blocks);
  const std::string metrics = indexer.Metrics();
  const auto mean_ms = [&](absl::string_view histogram,
                           absl::string_view labels = "") {
    const double count =
        MetricSum(metrics, absl::StrCat(histogram, "_count"), labels);
    return count > 0 ? 1000 *
                           MetricSum(metrics, absl::StrCat(histogram, "_sum"),
                                     labels) /
                           count
                     : 0.0;
  };
  std::printf(
      "          mean per block: fetch %.2f ms, commit %.2f ms; per call: "
      "eth_getLogs %.2f ms, eth_getBlockByNumber %.2f ms, eth_blockNumber "
      "%.2f ms\n",
      mean_ms("chainsync_indexer_fetch_wait_seconds"),
      mean_ms("chainsync_indexer_commit_seconds"),
      mean_ms("chainsync_evm_rpc_request_duration_seconds",
              "method=\"eth_getLogs\""),
      mean_ms("chainsync_evm_rpc_request_duration_seconds",
              "method=\"eth_getBlockByNumber\""),
      mean_ms("chainsync_evm_rpc_request_duration_seconds",
              "method=\"eth_blockNumber\""));
}

}  // namespace

void Run() {
  SprayChain chain;
  const std::string poll =
      absl::StrCat("--poll_interval=",
                   absl::FormatDuration(absl::GetFlag(FLAGS_poll_interval)));
  Measure(chain, "newHeads", {poll});
  Measure(chain, "polling", {poll, "--new_heads=false"});
}

}  // namespace chainsync::bench
