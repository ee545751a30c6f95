#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "libs/common/backoff.h"
#include "libs/common/clock.h"
#include "libs/common/metrics/registry.h"
#include "libs/evm/json_rpc_types.h"

namespace chainsync::evm {

// NewHeadsSubscription follows a node's new block headers over WebSocket
// (eth_subscribe "newHeads"), for low-latency indexing at the head. It runs
// on a thread of its own, reconnects with backoff when the connection drops,
// and subscribes again. Headers sent while it is disconnected are lost:
// callers use them as a wake-up and keep polling as the source of truth.
class NewHeadsSubscription {
 public:
  using Callback = std::function<void(const BlockHeader& header)>;

  struct Options {
    // ws://host:port[/path]; anvil and geth serve WebSocket on their RPC
    // port or a port of its own.
    std::string url;
    BackoffPolicy reconnect = {.initial_delay = absl::Milliseconds(100),
                               .max_delay = absl::Seconds(5)};
    metrics::Registry* registry = &metrics::DefaultRegistry();
    // Times the waits between reconnections.
    Clock* clock = &SystemClock();
  };

  // Start connects and subscribes before returning, so that a node without
  // WebSocket or without eth_subscribe is reported at once (UNAVAILABLE or
  // UNIMPLEMENTED) and the caller falls back to polling. `on_head` runs on
  // the subscription's thread.
  static absl::StatusOr<std::unique_ptr<NewHeadsSubscription>> Start(
      Options options, Callback on_head);

  // Stops the thread and closes the connection.
  ~NewHeadsSubscription();

  bool connected() const { return connected_.load(); }

 private:
  class Session;
  NewHeadsSubscription(Options options, Callback on_head);
  void Run();

  Options options_;
  Callback on_head_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::shared_ptr<Session> current_;
  std::mutex mu_;
  std::thread thread_;
};

}  // namespace chainsync::evm
