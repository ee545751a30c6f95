#pragma once

// Requests to read a chain again from a block. The API records them on any
// replica; the process holding the chain's writer lock takes them between
// two batches (IndexerWorker), so that a re-read is a rollback like a
// reorg's and never races a commit.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "libs/common/postgres/pool.h"

namespace chainsync::indexer {

struct Reread {
  int64_t id = 0;
  uint64_t from_block = 0;
  std::string reason;
};

class RereadQueue {
 public:
  explicit RereadQueue(PgPool& pool) : pool_(pool) {}

  // Request records a request to read `chain_id` again from `from_block`,
  // or lowers the pending one's block and adds `reason` to its own; it
  // returns the pending request.
  absl::StatusOr<Reread> Request(uint64_t chain_id, uint64_t from_block,
                                 absl::string_view reason);
  // Pending is the chain's pending request, if any.
  absl::StatusOr<std::optional<Reread>> Pending(uint64_t chain_id);
  // Done records that the chain was rolled back to `rolled_back_to` for
  // `request`, removing `events_removed`. A crash before it leaves the
  // request pending, and it is taken again: a second rollback to the same
  // block only reads the same blocks again.
  absl::Status Done(const Reread& request, uint64_t rolled_back_to,
                    int64_t events_removed);

 private:
  PgPool& pool_;
};

}  // namespace chainsync::indexer
