// Gateway REST benchmark: wrk (64 connections, 2 threads) against
// GET /api/realtime/balances of one holder, through the gateway binary to
// the indexer binary and Postgres, on a private chain holding TransferSpray
// transfers. Prints wrk's requests per second and latency percentiles.
//
//   build/bench/gateway_rest [--seconds=10] [--connections=64] [--cache]
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_main.h"
#include "bench/spray_chain.h"
#include "tests/services/api-gateway/tokens.h"

ABSL_FLAG(int, seconds, 10, "How long wrk runs.");
ABSL_FLAG(int, connections, 64, "wrk's open connections.");
ABSL_FLAG(bool, cache, true,
          "Whether the gateway keeps answers in memory (--cache_entries=0 "
          "when false): every request then reaches the indexer.");

namespace chainsync::bench {

void Run() {
  SprayChain chain;
  for (int block = 0; block < 20; ++block) {
    chain.Spray(50, 1000, block * 50);
    chain.Mine();
  }
  const uint64_t head = Check(chain.client().BlockNumber(), "head");
  IndexerProcess indexer(chain, {"--database_pool_size=32"});
  if (!indexer.WaitForIndexed(head, absl::Minutes(2))) {
    Check(absl::DeadlineExceededError("not indexed"), "indexer");
  }
  std::vector<std::string> flags;
  if (!absl::GetFlag(FLAGS_cache)) flags.push_back("--cache_entries=0");
  GatewayProcess gateway(indexer.grpc_port(), flags);
  // Holder 0x…10000 received transfers; the token is for it.
  const std::string holder = "0x0000000000000000000000000000000000010001";
  const std::string token =
      gateway::Token(holder, "", absl::Now() + absl::Hours(1));
  auto wrk = Check(
      testing::Subprocess::Start(
          {"/usr/bin/env", "wrk", "-t2",
           absl::StrCat("-c", absl::GetFlag(FLAGS_connections)),
           absl::StrCat("-d", absl::GetFlag(FLAGS_seconds), "s"), "--latency",
           "-H", absl::StrCat("Authorization: Bearer ", token),
           absl::StrCat("http://127.0.0.1:", gateway.http_port(),
                        "/api/realtime/balances?address=", holder)}),
      "starting wrk");
  while (auto line =
             wrk->ReadLine(absl::Seconds(absl::GetFlag(FLAGS_seconds) + 30))) {
    std::printf("%s\n", line->c_str());
  }
  Check(wrk->Wait(absl::Seconds(10)).status(), "wrk");
}

}  // namespace chainsync::bench
