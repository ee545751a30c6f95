#pragma once

// The indexer's resumable event stream: the event_stream view (events and
// the removals of reorgs) read by sequence. A subscriber replays what follows
// its last sequence, then keeps reading as commits add rows; replay and live
// use the same query, so the seam has no gap and no duplicate. One LISTEN
// connection per process wakes every subscriber when a commit publishes.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chainsync/indexer/v1/indexer.pb.h"
#include "libs/common/clock.h"
#include "libs/common/postgres/pool.h"

namespace chainsync::indexer {

class EventStream {
 public:
  // Start opens the listening connection and its thread; `clock` times
  // the waits.
  static absl::StatusOr<std::unique_ptr<EventStream>> Start(
      PgPool& pool, Clock& clock = SystemClock());
  ~EventStream();

  // Read returns up to `limit` events and removals with sequence above
  // `after`, in order, without their confirmations.
  absl::StatusOr<std::vector<v1::Event>> Read(uint64_t after, int limit);
  // Latest returns the highest sequence published, 0 when none.
  absl::StatusOr<uint64_t> Latest();

  // generation changes whenever a commit may have published rows.
  uint64_t generation() const { return generation_.load(); }
  // OnChange has `listener` called, on the listening thread, after each
  // change of generation(); an empty function removes it.
  void OnChange(std::function<void()> listener);

 private:
  EventStream(PgPool& pool, Clock& clock) : pool_(pool), clock_(clock) {}
  void Listen();

  PgPool& pool_;
  Clock& clock_;
  // The connection LISTENing for commits; used by the thread only.
  std::unique_ptr<PgConnection> listener_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::function<void()> listener_on_change_;
  std::thread thread_;
};

}  // namespace chainsync::indexer
