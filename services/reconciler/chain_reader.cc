#include "services/reconciler/chain_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "contracts/deploy/per_account_calls.h"
#include "contracts/deploy/protocol_abi.h"

namespace chainsync::reconciler {
namespace {

// Blocks per eth_getLogs: hosted providers refuse much wider ranges.
constexpr uint64_t kLogBlocks = 2'000;

// EventOf reads a Synced (its new balance, the data's second word) or an
// EmergencyBurn (its amount, the first word).
absl::StatusOr<MirrorEvent> EventOf(const evm::Log& log) {
  const bool synced = log.topics.at(0) == contracts::protocol::SyncedTopic();
  const size_t word = synced ? 1 : 0;
  if (log.topics.size() != 2 || log.data.size() < 32 * (word + 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a malformed oracle event in transaction ",
        evm::ToHex(log.transaction_hash), " at log ", log.log_index));
  }
  return MirrorEvent{.kind = synced ? MirrorEvent::Kind::kSynced
                                    : MirrorEvent::Kind::kEmergencyBurn,
                     .transaction = log.transaction_hash,
                     .log_index = log.log_index,
                     .block = log.block_number,
                     .account = evm::Address::FromWord(log.topics[1]),
                     .amount = evm::FromBigEndian(
                         evm::ByteSpan(log.data).subspan(32 * word, 32))};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChainReader>> ChainReader::FromDeployment(
    std::shared_ptr<evm::JsonRpcClient> client,
    const contracts::Deployment& deployment) {
  for (const char* name : {"RBTCSynth", "OracleAggregator"}) {
    if (deployment.Find(name) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("the deployment has no ", name));
    }
  }
  return std::unique_ptr<ChainReader>(
      new ChainReader(std::move(client), deployment));
}

ChainReader::ChainReader(std::shared_ptr<evm::JsonRpcClient> client,
                         contracts::Deployment deployment)
    : client_(std::move(client)),
      deployment_(std::move(deployment)),
      token_(deployment_.Find("RBTCSynth")->address),
      aggregator_(deployment_.Find("OracleAggregator")->address),
      next_block_(deployment_.Find("OracleAggregator")->start_block) {}

absl::StatusOr<uint64_t> ChainReader::Head() { return client_->BlockNumber(); }

absl::Status ChainReader::ReadEventsTo(uint64_t block) {
  while (next_block_ <= block) {
    const uint64_t to = std::min(block, next_block_ + kLogBlocks - 1);
    absl::StatusOr<std::vector<evm::Log>> logs = client_->GetLogs(
        {.from_block = next_block_,
         .to_block = to,
         .addresses = {aggregator_},
         .topics = {{contracts::protocol::SyncedTopic(),
                     contracts::protocol::EmergencyBurnTopic()}}});
    if (!logs.ok()) return logs.status();
    for (const evm::Log& log : *logs) {
      absl::StatusOr<MirrorEvent> event = EventOf(log);
      if (!event.ok()) return event.status();
      events_.push_back(*event);
    }
    next_block_ = to + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<ChainView> ChainReader::Read(
    uint64_t block, const std::vector<evm::Address>& accounts) {
  ChainView view;
  view.block = block;
  const evm::BlockRef at = evm::BlockRef::Number(block);
  for (const contracts::DeployedContract& contract : deployment_.contracts) {
    absl::StatusOr<evm::Bytes> code = client_->GetCode(contract.address, at);
    if (!code.ok()) return code.status();
    view.contracts.push_back({.name = contract.name,
                              .address = contract.address,
                              .has_code = !code->empty()});
  }
  absl::StatusOr<std::vector<evm::Uint256>> balances =
      contracts::CallPerAccount(*client_, contracts::protocol::BalanceOf(),
                                token_, accounts, at);
  if (!balances.ok()) return balances.status();
  absl::StatusOr<std::vector<evm::Uint256>> synced =
      contracts::CallPerAccount(*client_, contracts::protocol::SyncedBalance(),
                                aggregator_, accounts, at);
  if (!synced.ok()) return synced.status();
  for (size_t i = 0; i < accounts.size(); ++i) {
    view.balances[accounts[i]] = (*balances)[i];
    view.synced[accounts[i]] = (*synced)[i];
  }
  absl::StatusOr<evm::Bytes> supply = client_->EthCall(
      {.to = token_,
       .data = *contracts::protocol::TotalSupply().EncodeCall({})},
      at);
  if (!supply.ok()) return supply.status();
  if (supply->size() != 32) {
    return absl::InvalidArgumentError(
        "rBTC's totalSupply answered something else than one word");
  }
  view.total_supply = evm::FromBigEndian(*supply);
  if (absl::Status read = ReadEventsTo(block); !read.ok()) return read;
  for (const MirrorEvent& event : events_) {
    if (event.block <= block) view.events.push_back(event);
  }
  return view;
}

}  // namespace chainsync::reconciler
