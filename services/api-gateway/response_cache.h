#pragma once

// ResponseCache keeps the answers of routes with a CacheRule (for example an
// account's balances) so that frontends polling them do not each cost a
// backend call and a query. An answer is kept until the indexer publishes an
// event or removal touching its account, and nothing is kept or served while
// the gateway does not follow the indexer's event stream: a kept answer is
// never older than the stream the gateway has read.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace chainsync::gateway {

class ResponseCache {
 public:
  // At most `max_entries` answers are kept; the accounts whose events were
  // seen are remembered up to as many, after which everything starts over.
  explicit ResponseCache(size_t max_entries);

  // Ticket is what an answer fetched after Begin is checked against when it
  // is kept: it is kept only if no event touched its account meanwhile.
  struct Ticket {
    uint64_t epoch = 0;
    uint64_t touched = 0;
  };

  // Find returns the kept answer for `key`, if it is still current.
  std::optional<std::string> Find(const std::string& key);
  // Begin returns the ticket of an answer about to be fetched for
  // `account`; nullopt while answers are not kept.
  std::optional<Ticket> Begin(absl::string_view account);
  // Keep keeps `answer` for `key` unless `account` was touched since
  // `ticket`.
  void Keep(std::string key, absl::string_view account, const Ticket& ticket,
            std::string answer);

  // Touch makes the answers about `account` stale.
  void Touch(absl::string_view account);
  // SetLive starts keeping answers (the event stream is followed), or
  // forgets every answer and keeps none (the stream was lost).
  void SetLive(bool live);

  size_t size() const;

 private:
  struct Entry {
    std::string account;
    uint64_t epoch = 0;
    uint64_t touched = 0;
    std::string answer;
  };

  // Guarded by mu_.
  uint64_t Touched(absl::string_view account) const;
  void StartOver();

  const size_t max_entries_;
  mutable std::mutex mu_;
  bool live_ = false;
  // Changes whenever everything kept is forgotten.
  uint64_t epoch_ = 1;
  // Counts touches; each account remembers the count at its last one.
  uint64_t touches_ = 0;
  absl::flat_hash_map<std::string, uint64_t> touched_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace chainsync::gateway
