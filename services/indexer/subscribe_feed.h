#pragma once

// SubscribeFeed serves the indexer's Subscribe streams. One thread reads the
// event stream for all of them, once per position a round, so that the
// streams at the head share one query; each stream writes through a gRPC
// callback reactor of its own. An open stream costs the events it has
// buffered (at most a page), not a thread.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "chainsync/indexer/v1/indexer.grpc.pb.h"
#include "libs/common/metrics/registry.h"
#include "services/indexer/event_stream.h"

namespace chainsync::indexer {

class SubscribeFeed {
 public:
  struct Options {
    // Streams open at once; one more is refused with RESOURCE_EXHAUSTED.
    int max_streams = 512;
    // Events read for a stream at a time, and so buffered for it at most.
    int page = 500;
  };

  // `indexed` answers the highest indexed block, from which each event's
  // confirmations are counted.
  SubscribeFeed(EventStream& events, std::function<uint64_t()> indexed,
                Options options, metrics::Registry& registry);
  ~SubscribeFeed();

  // Open starts the stream a Subscribe call asked for; gRPC owns the
  // reactor until its OnDone. A request that is invalid, or one past
  // max_streams, is finished at once with the reason.
  grpc::ServerWriteReactor<v1::SubscribeResponse>* Open(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest& request);

  // Close ends every open stream with `status` once its message in flight
  // is out, and refuses new ones with it: a process shutting down lets its
  // subscribers resume elsewhere at once rather than hold its drain.
  void Close(const grpc::Status& status);

 private:
  class Stream;

  void Run();
  // Round reads for every stream due a read and queues what each may see;
  // false when no stream was due. mu_ is held, and released while reading.
  bool Round(std::unique_lock<std::mutex>& lock);
  // Wake has the thread look again: a commit, a stream opened or drained.
  void Wake();

  EventStream& events_;
  const std::function<uint64_t()> indexed_;
  const Options options_;
  metrics::Gauge& open_;
  metrics::Counter& refused_;
  metrics::Counter& events_sent_;
  metrics::Counter& removals_sent_;

  // Guards the streams and every stream's state.
  std::mutex mu_;
  std::condition_variable wake_;
  std::set<Stream*> streams_;
  bool woken_ = false;
  bool stopping_ = false;
  // Set by Close.
  std::optional<grpc::Status> closed_;
  std::thread thread_;
};

}  // namespace chainsync::indexer
