#include "services/indexer/batch.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"

namespace chainsync::indexer {
namespace {

// GetLogsSplitting fetches logs of [from, to], halving (or taking the
// provider's suggestion for) any range the provider refuses as too large;
// `span` keeps the widest range answered.
absl::Status GetLogsSplitting(evm::JsonRpcClient& client, evm::LogFilter filter,
                              std::vector<evm::Log>* logs, uint64_t* span) {
  absl::StatusOr<std::vector<evm::Log>> fetched = client.GetLogs(filter);
  if (fetched.ok()) {
    *span = std::max(*span, filter.to_block - filter.from_block + 1);
    logs->insert(logs->end(), std::make_move_iterator(fetched->begin()),
                 std::make_move_iterator(fetched->end()));
    return absl::OkStatus();
  }
  if (!evm::IsRangeLimit(fetched.status()) ||
      filter.from_block == filter.to_block) {
    return fetched.status();
  }
  uint64_t split =
      filter.from_block + (filter.to_block - filter.from_block) / 2;
  if (const auto suggested = evm::SuggestedRange(fetched.status());
      suggested.has_value() && suggested->first == filter.from_block &&
      suggested->second < filter.to_block) {
    split = suggested->second;
  }
  evm::LogFilter first = filter;
  first.to_block = split;
  evm::LogFilter second = filter;
  second.from_block = split + 1;
  if (absl::Status status = GetLogsSplitting(client, first, logs, span);
      !status.ok()) {
    return status;
  }
  return GetLogsSplitting(client, second, logs, span);
}

}  // namespace

absl::StatusOr<Batch> FetchBatch(evm::JsonRpcClient& client,
                                 const ContractRegistry& registry,
                                 uint64_t chain_id, uint64_t from, uint64_t to,
                                 const FetchOptions& options) {
  if (from > to) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty block range ", from, "..", to));
  }
  std::vector<evm::Log> logs;
  uint64_t log_span = 0;
  absl::Status status = GetLogsSplitting(
      client,
      {.from_block = from, .to_block = to, .addresses = registry.addresses()},
      &logs, &log_span);
  if (options.log_span != nullptr) *options.log_span = log_span;
  if (!status.ok()) return status;

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
  const auto headers = client.GetBlocksByNumber(numbers);
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (!headers[i].ok()) return headers[i].status();
    if (!headers[i]->has_value()) {
      return absl::UnavailableError(
          absl::StrCat("block ", numbers[i], " is not there (yet)"));
    }
    const evm::BlockHeader& header = **headers[i];
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
    batch.blocks.push_back(
        {header.number, header.hash, header.parent_hash, header.timestamp});
  }
  batch.events.reserve(logs.size());
  for (evm::Log& log : logs) {
    batch.events.push_back(registry.Decode(std::move(log)));
    Project(batch.events.back(), &batch.activity);
  }
  return batch;
}

}  // namespace chainsync::indexer
