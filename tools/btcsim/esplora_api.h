#pragma once

// EsploraApi serves the simulated chains over HTTP: Esplora's routes with
// its JSON shapes (as blockstream.info and mempool.space answer them), under
// mempool.space's prefixes — /api for mainnet, /testnet/api (and
// /signet/api) for testnet, /regtest/api for regtest — and the simulator's
// control routes under /sim/:
//
//   POST /sim/{network}/fund   {"address","sats"} or {"outputs":[{...}]}
//   POST /sim/{network}/spend  {"address","sats","to"?}
//   POST /sim/{network}/mine   {"blocks"}
//   POST /sim/{network}/reorg  {"depth","dropTransactions"?}
//   POST /sim/faults           {"route","mode","count","retryAfterSeconds",
//                               "delayMs"} (see FaultPlan)
//   DELETE /sim/faults
//
// A fault applies to the Esplora routes of every network, never to control.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/common/server/http_server.h"
#include "tools/btcsim/fault_plan.h"
#include "tools/btcsim/simulated_chain.h"

namespace chainsync::btcsim {

class EsploraApi {
 public:
  explicit EsploraApi(Clock& clock = SystemClock(),
                      metrics::Registry& registry = metrics::DefaultRegistry());
  ~EsploraApi();

  void Handle(HttpRequest request, HttpReply reply);

 private:
  struct Chain {
    Chain(bitcoin::Network network, Clock& clock) : chain(network, clock) {}
    std::mutex mu;
    SimulatedChain chain;
  };
  struct Delayed {
    absl::Time due;
    std::shared_ptr<HttpReply> reply;
    HttpResponse response;
    bool operator>(const Delayed& other) const { return due > other.due; }
  };

  HttpResponse Control(const HttpRequest& request);
  // Answers after `delay`, from the delay thread.
  void SendLater(HttpReply reply, HttpResponse response, absl::Duration delay);
  void RunDelays();

  Clock& clock_;
  metrics::Family<metrics::Counter>& requests_;
  std::map<std::string, std::unique_ptr<Chain>, std::less<>> chains_;
  FaultPlan faults_;

  std::mutex delay_mu_;
  std::condition_variable delay_cv_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  bool stopping_ = false;
  std::thread delay_thread_;
};

}  // namespace chainsync::btcsim
