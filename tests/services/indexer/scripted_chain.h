#pragma once

// Fakes of the indexer core's two ports, for hermetic tests of the core:
// ScriptedChain is a ChainSource whose blocks, token transfers, reorgs and
// misbehaviours a test writes; MemoryChainStore is a ChainStore in memory
// that keeps what a follower commits, with the same cursor rules as the
// Postgres store. The Postgres store itself is tested against Postgres.

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "contracts/deploy/deployment.h"
#include "libs/evm/json_rpc_connection.h"
#include "libs/evm/keccak.h"
#include "services/indexer/chain_source.h"
#include "services/indexer/chain_store.h"

namespace chainsync::indexer::testing {

inline evm::Address AddressNumber(uint8_t n) {
  std::array<uint8_t, 20> bytes{};
  bytes[19] = n;
  return evm::Address(bytes);
}

// The token every scripted chain carries, from block 1.
inline const evm::Address kToken = AddressNumber(0xee);

// TokenDeployment is the configuration of the scripted chain's one token.
inline contracts::Deployment TokenDeployment() {
  contracts::Deployment deployment;
  deployment.chain_id = 31337;
  deployment.contracts.push_back(
      {.name = "Token",
       .address = kToken,
       .start_block = 1,
       .abi_json =
           R"([{"type":"event","name":"Transfer","anonymous":false,"inputs":[
        {"name":"from","type":"address","indexed":true},
        {"name":"to","type":"address","indexed":true},
        {"name":"value","type":"uint256","indexed":false}]}])"});
  return deployment;
}

// Word is a 32-byte ABI word holding `value`.
inline evm::Hash Word(uint64_t value) {
  evm::Hash word{};
  for (int i = 0; i < 8; ++i)
    word[31 - i] = static_cast<uint8_t>(value >> (8 * i));
  return word;
}

inline evm::Hash AddressWord(const evm::Address& address) {
  evm::Hash word{};
  std::copy(address.bytes().begin(), address.bytes().end(), word.begin() + 12);
  return word;
}

struct Transfer {
  evm::Address from;
  evm::Address to;
  uint64_t amount = 0;
};

// ScriptedChain is a chain a test builds block by block. Every block may
// carry Transfers of the token; each block ever made has a hash of its own,
// so a branch made again differs from the one it replaces. Thread-safe: a
// follower fetches from several threads.
class ScriptedChain final : public ChainSource {
 public:
  ScriptedChain() { Append({}); }

  // Mine appends a block with `transfers`.
  void Mine(std::vector<Transfer> transfers = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    Append(std::move(transfers));
  }

  // Reorg replaces the last `depth` blocks by as many new ones, each with
  // `transfers`.
  void Reorg(uint64_t depth, const std::vector<Transfer>& transfers = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    blocks_.resize(blocks_.size() - depth);
    for (uint64_t i = 0; i < depth; ++i) Append(transfers);
  }

  // LimitLogRanges makes Logs refuse ranges wider than `blocks` as a
  // provider does, proposing the range it would answer when `suggest`.
  void LimitLogRanges(uint64_t blocks, bool suggest) {
    std::lock_guard<std::mutex> lock(mu_);
    log_range_limit_ = blocks;
    suggest_range_ = suggest;
  }

  // AnswerLogsFromAnotherBranch makes the next Logs answer name block
  // hashes of a branch the chain does not have, as a node behind a load
  // balancer that has not seen the head does.
  void AnswerLogsFromAnotherBranch() {
    std::lock_guard<std::mutex> lock(mu_);
    stale_logs_ = true;
  }

  // LagBy makes the chain answer as a node `blocks` behind: its head and
  // headers stop that far under the real head.
  void LagBy(uint64_t blocks) {
    std::lock_guard<std::mutex> lock(mu_);
    lag_ = blocks;
  }

  uint64_t head() {
    std::lock_guard<std::mutex> lock(mu_);
    return blocks_.size() - 1;
  }

  // The widest range a Logs call asked for, once the limit was known.
  uint64_t widest_log_request() {
    std::lock_guard<std::mutex> lock(mu_);
    return widest_request_;
  }

  // Balances are the token's balances the canonical chain's transfers make.
  std::map<evm::Address, uint64_t> Balances() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<evm::Address, uint64_t> balances;
    for (const Block& block : blocks_) {
      for (const Transfer& transfer : block.transfers) {
        if (transfer.from != evm::Address()) {
          balances[transfer.from] -= transfer.amount;
        }
        if (transfer.to != evm::Address())
          balances[transfer.to] += transfer.amount;
      }
    }
    std::erase_if(balances,
                  [](const auto& entry) { return entry.second == 0; });
    return balances;
  }

  // Events are the canonical chain's logs as (block, log index, block hash).
  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> events;
    for (const Block& block : blocks_) {
      for (size_t i = 0; i < block.transfers.size(); ++i) {
        events.push_back(absl::StrCat(block.record.number, "/", i, "/",
                                      evm::ToHex(block.record.hash)));
      }
    }
    return events;
  }

  absl::StatusOr<uint64_t> Head() override {
    std::lock_guard<std::mutex> lock(mu_);
    return VisibleHead();
  }

  absl::StatusOr<std::optional<uint64_t>> Finalized() override {
    return std::nullopt;
  }

  absl::StatusOr<std::vector<std::optional<BlockRecord>>> Headers(
      const std::vector<uint64_t>& numbers) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::optional<BlockRecord>> headers;
    for (const uint64_t number : numbers) {
      if (number <= VisibleHead()) {
        headers.push_back(blocks_[number].record);
      } else {
        headers.emplace_back();
      }
    }
    return headers;
  }

  absl::StatusOr<std::vector<evm::Log>> Logs(
      uint64_t from, uint64_t to,
      const std::vector<evm::Address>& addresses) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (log_range_limit_ > 0) {
      if (to - from + 1 > log_range_limit_) {
        return evm::RangeLimitError(
            suggest_range_
                ? absl::StrCat("block range too wide; this block range should "
                               "work: [",
                               evm::ToQuantity(from), ", ",
                               evm::ToQuantity(from + log_range_limit_ - 1),
                               "]")
                : "block range too wide");
      }
      widest_request_ = std::max(widest_request_, to - from + 1);
    }
    std::vector<evm::Log> logs;
    const bool stale = std::exchange(stale_logs_, false);
    for (uint64_t number = from; number <= std::min(to, VisibleHead());
         ++number) {
      const Block& block = blocks_[number];
      for (size_t i = 0; i < block.transfers.size(); ++i) {
        const Transfer& transfer = block.transfers[i];
        evm::Log log;
        log.address = kToken;
        log.topics = {kTransferTopic, AddressWord(transfer.from),
                      AddressWord(transfer.to)};
        const evm::Hash amount = Word(transfer.amount);
        log.data.assign(amount.begin(), amount.end());
        log.block_number = number;
        log.block_hash = stale ? Word(~block.serial) : block.record.hash;
        log.transaction_hash = Word(block.serial * 1000 + i);
        log.transaction_index = static_cast<uint32_t>(i);
        log.log_index = static_cast<uint32_t>(i);
        logs.push_back(std::move(log));
      }
    }
    return logs;
  }

 private:
  struct Block {
    BlockRecord record;
    uint64_t serial = 0;
    std::vector<Transfer> transfers;
  };

  uint64_t VisibleHead() const {
    const uint64_t head = blocks_.size() - 1;
    return head > lag_ ? head - lag_ : 0;
  }

  void Append(std::vector<Transfer> transfers) {
    Block block;
    block.serial = ++serials_;
    block.record.number = blocks_.size();
    block.record.hash = Word(block.serial);
    if (!blocks_.empty()) block.record.parent_hash = blocks_.back().record.hash;
    block.record.timestamp = 1'700'000'000 + block.record.number * 12;
    block.transfers = std::move(transfers);
    blocks_.push_back(std::move(block));
  }

  const evm::Hash kTransferTopic =
      evm::Keccak256("Transfer(address,address,uint256)");
  std::mutex mu_;
  std::vector<Block> blocks_;
  uint64_t serials_ = 0;
  uint64_t log_range_limit_ = 0;
  bool suggest_range_ = false;
  uint64_t widest_request_ = 0;
  bool stale_logs_ = false;
  uint64_t lag_ = 0;
};

// MemoryChainStore keeps one chain's blocks, events and balances in memory,
// with the ChainStore's rules: a batch must follow the cursor (or the batch
// staged before it), commits in order, and a rollback undoes everything
// above its ancestor.
class MemoryChainStore final : public ChainStore {
 public:
  absl::StatusOr<std::optional<Cursor>> LoadCursor(uint64_t) override {
    std::lock_guard<std::mutex> lock(mu_);
    return cursor_;
  }

  std::unique_ptr<PreparedBatch> Prepare(const Batch&) const override {
    return std::make_unique<PreparedBatch>();
  }

  absl::StatusOr<std::unique_ptr<StagedBatch>> Stage(
      Batch batch, std::unique_ptr<PreparedBatch> prepared) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (prepared == nullptr) {
      return absl::InvalidArgumentError("a batch must be prepared");
    }
    const std::optional<Cursor> basis =
        staged_to_.has_value() ? staged_to_ : cursor_;
    if (basis.has_value() && basis->indexed_block + 1 != batch.from_block) {
      return absl::AbortedError(absl::StrCat("batch from ", batch.from_block,
                                             " does not follow block ",
                                             basis->indexed_block));
    }
    staged_to_ = Cursor{batch.to_block, batch.blocks.back().hash};
    return std::make_unique<Staged>(*this, std::move(batch), basis);
  }

  absl::StatusOr<std::vector<BlockRecord>> StoredBlocks(uint64_t,
                                                        uint64_t at_or_below,
                                                        int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<BlockRecord> blocks;
    for (auto it = blocks_.upper_bound(at_or_below);
         it != blocks_.begin() && static_cast<int>(blocks.size()) < limit;) {
      --it;
      blocks.push_back(it->second);
    }
    return blocks;
  }

  absl::StatusOr<int64_t> RollbackTo(uint64_t, uint64_t ancestor,
                                     const evm::Hash& ancestor_hash) override {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t before = static_cast<int64_t>(events_.size());
    std::erase_if(events_, [&](const Event& e) { return e.block > ancestor; });
    std::erase_if(activity_, [&](const ActivityRow& r) {
      return r.block_number > ancestor;
    });
    blocks_.erase(blocks_.upper_bound(ancestor), blocks_.end());
    cursor_ = Cursor{ancestor, ancestor_hash};
    staged_to_.reset();
    removed_ += before - static_cast<int64_t>(events_.size());
    return before - static_cast<int64_t>(events_.size());
  }

  absl::Status RegisterContracts(uint64_t, const ContractRegistry&) override {
    return absl::OkStatus();
  }

  // Events are the stored events as (block, log index, block hash), in
  // chain order.
  std::vector<std::string> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> events;
    for (const Event& event : events_) {
      events.push_back(absl::StrCat(event.block, "/", event.log_index, "/",
                                    evm::ToHex(event.block_hash)));
    }
    return events;
  }

  // Balances replays the stored activity through a ledger, as the store
  // keeps them; a zero balance is left out.
  std::map<evm::Address, uint64_t> Balances() {
    std::lock_guard<std::mutex> lock(mu_);
    BatchLedger ledger(activity_);
    if (!ledger.Post().ok()) return {};
    std::map<evm::Address, uint64_t> balances;
    for (size_t i = 0; i < ledger.keys().size(); ++i) {
      if (ledger.holdings()[i].balance != 0) {
        balances[ledger.keys()[i].holder] =
            static_cast<uint64_t>(ledger.holdings()[i].balance);
      }
    }
    return balances;
  }

  // Removed counts the events rollbacks removed.
  int64_t removed() {
    std::lock_guard<std::mutex> lock(mu_);
    return removed_;
  }

 private:
  struct Event {
    uint64_t block = 0;
    uint32_t log_index = 0;
    evm::Hash block_hash{};
  };

  class Staged final : public StagedBatch {
   public:
    Staged(MemoryChainStore& store, Batch batch, std::optional<Cursor> basis)
        : store_(store), batch_(std::move(batch)), basis_(basis) {}
    ~Staged() override {
      if (committed_) return;
      std::lock_guard<std::mutex> lock(store_.mu_);
      store_.staged_to_.reset();
    }
    const Batch& batch() const override { return batch_; }
    absl::Status Commit() override {
      std::lock_guard<std::mutex> lock(store_.mu_);
      if (store_.cursor_ != basis_) {
        store_.staged_to_.reset();
        return absl::AbortedError(
            "the cursor moved since the batch was staged");
      }
      std::vector<ActivityRow> activity = store_.activity_;
      activity.insert(activity.end(), batch_.activity.begin(),
                      batch_.activity.end());
      BatchLedger ledger(activity);
      if (absl::Status posted = ledger.Post(); !posted.ok()) {
        store_.staged_to_.reset();
        return posted;
      }
      store_.activity_ = std::move(activity);
      for (const BlockRecord& block : batch_.blocks)
        store_.blocks_[block.number] = block;
      for (const DecodedEvent& event : batch_.events) {
        store_.events_.push_back({event.log.block_number, event.log.log_index,
                                  event.log.block_hash});
      }
      store_.cursor_ = Cursor{batch_.to_block, batch_.blocks.back().hash};
      if (store_.staged_to_ == store_.cursor_) store_.staged_to_.reset();
      committed_ = true;
      return absl::OkStatus();
    }

   private:
    MemoryChainStore& store_;
    const Batch batch_;
    const std::optional<Cursor> basis_;
    bool committed_ = false;
  };

  std::mutex mu_;
  std::optional<Cursor> cursor_;
  // Where the last batch staged and not committed leaves the cursor.
  std::optional<Cursor> staged_to_;
  std::map<uint64_t, BlockRecord> blocks_;
  std::vector<Event> events_;
  std::vector<ActivityRow> activity_;
  int64_t removed_ = 0;
};

}  // namespace chainsync::indexer::testing
