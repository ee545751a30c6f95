#pragma once

// Snapshot is what one reconciliation run compares: the chain, the indexer
// and the oracle, each read as of one pinned EVM block (final by the
// indexer's rule). The adapters fill it; the rules only read it, so they
// are pure and their tests build snapshots by hand.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/evm/address.h"
#include "libs/evm/bytes.h"
#include "libs/evm/uint256.h"

namespace chainsync::reconciler {

// A deployed contract and whether code is at its address.
struct ContractState {
  std::string name;
  evm::Address address;
  bool has_code = false;
};

// An event of the oracle's contract: a sync set an account's balance, or an
// emergency burn took it to zero.
struct MirrorEvent {
  enum class Kind { kSynced, kEmergencyBurn };
  Kind kind = Kind::kSynced;
  evm::Hash transaction{};
  uint32_t log_index = 0;
  uint64_t block = 0;
  evm::Address account;
  // The new balance of a sync, the amount of a burn, satoshis.
  evm::Uint256 amount = 0;

  bool operator==(const MirrorEvent& other) const = default;
};

struct ChainView {
  // The pinned block, and the chain's head when it was pinned.
  uint64_t block = 0;
  uint64_t head = 0;
  std::vector<ContractState> contracts;
  // rBTC balanceOf at the block, of every account compared.
  std::map<evm::Address, evm::Uint256> balances;
  // OracleAggregator.syncedBalance at the block — what the oracle last
  // mirrored — of every account the oracle knows. It differs from the rBTC
  // balance once an account wraps some of it.
  std::map<evm::Address, evm::Uint256> synced;
  // rBTC totalSupply at the block.
  evm::Uint256 total_supply = 0;
  // The oracle contract's events up to the block.
  std::vector<MirrorEvent> events;
};

struct IndexerView {
  // Why the indexer could not be read, when it could not: the rules that
  // compare with it then check nothing, and indexer_lag fails.
  std::string unavailable;
  // The newest block the indexer has stored.
  uint64_t head = 0;
  // rBTC balances at the pinned block, of every holder it knows.
  std::map<evm::Address, evm::Uint256> balances;
  // The oracle contract's events it indexed up to the block.
  std::vector<MirrorEvent> events;
};

// An account as the oracle knows it.
struct OracleAccount {
  evm::Address account;
  bool sync_enabled = true;
  // The confirmed Bitcoin total of its last whole reading; absent when it
  // was never read whole (or is stale).
  std::optional<uint64_t> confirmed_sats;
  // The Bitcoin block that reading was made at.
  uint64_t bitcoin_tip = 0;
  // Whether an operation for it is on its way (planned, broadcast or mined
  // and not yet final): a difference then is expected.
  bool in_flight = false;
};

// An operation of the oracle's journal.
struct OracleOperation {
  int64_t id = 0;
  MirrorEvent::Kind kind = MirrorEvent::Kind::kSynced;
  // Confirmed on chain to the oracle's depth.
  bool confirmed = false;
  std::optional<evm::Hash> transaction;
  // The block it was mined in, once mined.
  std::optional<uint64_t> block;
  std::vector<evm::Address> accounts;
};

struct OracleView {
  std::vector<OracleAccount> accounts;
  std::vector<OracleOperation> operations;
};

struct Snapshot {
  absl::Time taken;
  ChainView chain;
  IndexerView indexer;
  OracleView oracle;
};

}  // namespace chainsync::reconciler
