// Backfill benchmark: `--events` ERC-20 Transfer events on a private anvil
// (TransferSpray, `--events_per_block` to a block), indexed from an empty
// database by the chainsync-indexer binary into a private Postgres. Prints
// events and blocks per second end to end (from the process's start to the
// cursor at the head), the indexer's peak resident memory, and where its
// time went (its own fetch, commit and JSON-RPC histograms). With --runs,
// the same chain is indexed again from an empty schema: the first run finds
// a new cluster, the later ones a warm one.
//
//   build/bench/indexer_backfill [--events=200000] [--events_per_block=50]
//       [--runs=1] [--indexer_flags=--max_batch_blocks=200,...]
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "bench/spray_chain.h"
#include "libs/common/postgres/connection.h"

ABSL_FLAG(int, events, 200'000, "Transfer events to index.");
ABSL_FLAG(int, events_per_block, 50, "Transfer events in each block.");
ABSL_FLAG(int, holders, 10'000, "Accounts the transfers rotate over.");
ABSL_FLAG(int, runs, 1,
          "Times the chain is indexed, each from an empty schema; runs after "
          "the first find Postgres warm.");
ABSL_FLAG(std::vector<std::string>, indexer_flags, {},
          "Flags for the indexer, comma-separated.");

namespace chainsync::bench {

// IndexOnce indexes the chain up to `head` from an empty schema and prints
// the figures of that run.
void IndexOnce(const SprayChain& chain, uint64_t head, int events) {
  const absl::Time start = absl::Now();
  IndexerProcess indexer(chain, absl::GetFlag(FLAGS_indexer_flags));
  const absl::Time ready = absl::Now();
  if (!indexer.WaitForIndexed(head, absl::Minutes(10))) {
    Check(absl::DeadlineExceededError("not indexed within 10 minutes"),
          "backfill");
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  // The worker counts a batch just after its commit.
  std::string metrics = indexer.Metrics();
  for (int i = 0;
       i < 100 && MetricSum(metrics, "chainsync_indexer_events_indexed_total") <
                      events + 1;
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    metrics = indexer.Metrics();
  }
  const double indexed =
      MetricSum(metrics, "chainsync_indexer_events_indexed_total");
  std::printf("indexed %.0f events, %llu blocks in %.2f s (%.2f s to ready)\n",
              indexed, static_cast<unsigned long long>(head), seconds,
              absl::ToDoubleSeconds(ready - start));
  std::printf("events/s %.0f\nblocks/s %.0f\npeak RSS %.1f MiB\n",
              indexed / seconds, static_cast<double>(head) / seconds,
              static_cast<double>(indexer.PeakRssBytes()) / (1 << 20));
  std::printf("\nwhere the time went (seconds, summed over batches):\n");
  for (const char* histogram :
       {"chainsync_indexer_fetch_wait_seconds",
        "chainsync_indexer_commit_seconds", "chainsync_indexer_step_seconds"}) {
    std::printf("  %-40s %8.2f over %5.0f\n", histogram,
                MetricSum(metrics, absl::StrCat(histogram, "_sum")),
                MetricSum(metrics, absl::StrCat(histogram, "_count")));
  }
  for (const char* method :
       {"eth_getLogs", "eth_getBlockByNumber", "eth_blockNumber"}) {
    const std::string labels = absl::StrCat("method=\"", method, "\"");
    std::printf(
        "  rpc %-36s %8.2f over %5.0f\n", method,
        MetricSum(metrics, "chainsync_evm_rpc_request_duration_seconds_sum",
                  labels),
        MetricSum(metrics, "chainsync_evm_rpc_request_duration_seconds_count",
                  labels));
  }
}

void Run() {
  const int events = absl::GetFlag(FLAGS_events);
  const int per_block = absl::GetFlag(FLAGS_events_per_block);
  const int holders = absl::GetFlag(FLAGS_holders);
  SprayChain chain;
  const absl::Time generating = absl::Now();
  uint64_t head = 0;
  for (int sent = 0; sent < events; sent += per_block) {
    chain.Spray(std::min(per_block, events - sent), holders, sent);
    head = chain.Mine();
  }
  std::printf("generated %d events in %llu blocks in %.1f s\n", events,
              static_cast<unsigned long long>(head),
              absl::ToDoubleSeconds(absl::Now() - generating));

  for (int run = 1; run <= absl::GetFlag(FLAGS_runs); ++run) {
    std::printf("\nrun %d of %d\n", run, absl::GetFlag(FLAGS_runs));
    if (run > 1) {
      // What the run before wrote goes, and a checkpoint makes its WAL
      // files reusable, as on a database that has been running for a while.
      auto database = Check(
          PgConnection::Connect({.url = chain.database_url()}), "database");
      Check(database->ExecScript("SET client_min_messages = warning; "
                                 "DROP SCHEMA indexer CASCADE; CHECKPOINT"),
            "emptying the database");
    }
    IndexOnce(chain, head, events);
  }
}

}  // namespace chainsync::bench
