#include "services/indexer/batch.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/evm/json_rpc_connection.h"
#include "services/indexer/projector.h"

namespace chainsync::indexer {
namespace {

// GetLogsSplitting fetches logs of [from, to], halving (or taking the
// provider's suggestion for) any range the provider refuses as too large;
// `span` keeps the widest range answered.
absl::Status GetLogsSplitting(ChainSource& source,
                              const std::vector<evm::Address>& addresses,
                              uint64_t from, uint64_t to,
                              std::vector<evm::Log>* logs, uint64_t* span) {
  absl::StatusOr<std::vector<evm::Log>> fetched =
      source.Logs(from, to, addresses);
  if (fetched.ok()) {
    *span = std::max(*span, to - from + 1);
    logs->insert(logs->end(), std::make_move_iterator(fetched->begin()),
                 std::make_move_iterator(fetched->end()));
    return absl::OkStatus();
  }
  if (!evm::IsRangeLimit(fetched.status()) || from == to) {
    return fetched.status();
  }
  uint64_t split = from + (to - from) / 2;
  if (const auto suggested = evm::SuggestedRange(fetched.status());
      suggested.has_value() && suggested->first == from &&
      suggested->second < to) {
    split = suggested->second;
  }
  if (absl::Status status =
          GetLogsSplitting(source, addresses, from, split, logs, span);
      !status.ok()) {
    return status;
  }
  return GetLogsSplitting(source, addresses, split + 1, to, logs, span);
}

// FetchRange is FetchBatch's batch; `widest_log_range` is its
// Fetched::widest_log_range.
absl::StatusOr<Batch> FetchRange(ChainSource& source,
                                 const ContractRegistry& registry,
                                 uint64_t chain_id, uint64_t from, uint64_t to,
                                 const FetchOptions& options,
                                 uint64_t* widest_log_range) {
  if (from > to) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty block range ", from, "..", to));
  }
  std::vector<evm::Log> logs;
  if (absl::Status status = GetLogsSplitting(source, registry.addresses(), from,
                                             to, &logs, widest_log_range);
      !status.ok()) {
    return status;
  }

  std::map<uint64_t, evm::Hash> log_blocks;
  for (const evm::Log& log : logs)
    log_blocks.emplace(log.block_number, log.block_hash);
  std::vector<uint64_t> numbers;
  if (options.contiguous) {
    for (uint64_t number = from; number <= to; ++number)
      numbers.push_back(number);
  } else {
    for (const auto& [number, hash] : log_blocks) numbers.push_back(number);
    if (numbers.empty() || numbers.back() != to) numbers.push_back(to);
  }

  Batch batch{.chain_id = chain_id, .from_block = from, .to_block = to};
  absl::StatusOr<std::vector<std::optional<BlockRecord>>> headers =
      source.Headers(numbers);
  if (!headers.ok()) return headers.status();
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (!(*headers)[i].has_value()) {
      return absl::UnavailableError(
          absl::StrCat("block ", numbers[i], " is not there (yet)"));
    }
    const BlockRecord& header = *(*headers)[i];
    const auto logged = log_blocks.find(header.number);
    if (logged != log_blocks.end() && logged->second != header.hash) {
      return absl::UnavailableError(
          absl::StrCat("logs of block ", header.number, " carry block hash ",
                       evm::ToHex(logged->second), " but the block is ",
                       evm::ToHex(header.hash), "; fetching again"));
    }
    if (options.contiguous) {
      const std::optional<evm::Hash> expected =
          batch.blocks.empty()
              ? options.parent
              : std::optional<evm::Hash>(batch.blocks.back().hash);
      if (expected.has_value() && header.parent_hash != *expected) {
        if (batch.blocks.empty()) {
          return absl::AbortedError(absl::StrCat(
              "block ", header.number, " does not link to the indexed block ",
              header.number - 1, ": the chain reorganised"));
        }
        // Headers from two branches: the node moved while answering.
        return absl::UnavailableError(absl::StrCat(
            "block ", header.number, " does not link to block ",
            header.number - 1, " of the same answer; fetching again"));
      }
    }
    batch.blocks.push_back(header);
  }
  batch.events.reserve(logs.size());
  for (evm::Log& log : logs) {
    batch.events.push_back(registry.Decode(std::move(log)));
    Project(batch.events.back(), &batch.activity);
  }
  return batch;
}

}  // namespace

Fetched FetchBatch(ChainSource& source, const ContractRegistry& registry,
                   uint64_t chain_id, uint64_t from, uint64_t to,
                   const FetchOptions& options) {
  Fetched fetched;
  fetched.batch = FetchRange(source, registry, chain_id, from, to, options,
                             &fetched.widest_log_range);
  return fetched;
}

}  // namespace chainsync::indexer
