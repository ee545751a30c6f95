#pragma once

// SimulatedChain is one Bitcoin network's chain and mempool as an Esplora
// server sees them, driven by hand: fund an address, spend from it, mine
// blocks, reorganize the last ones. Transactions, blocks and their hashes
// are real serializations (a txid is the double SHA-256 of the transaction),
// but nothing is signed and there is no proof of work. Not thread-safe: the
// server holds a lock around it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/transaction.h"
#include "libs/common/clock.h"

namespace chainsync::btcsim {

using bitcoin::Hash256;

// ChainTx is a transaction the simulator knows, confirmed or in the mempool.
struct ChainTx {
  bitcoin::Transaction tx;
  Hash256 txid{};
  // The outputs its inputs spend, in input order (none for a coinbase).
  std::vector<bitcoin::TxOut> prevouts;
  int64_t fee_sats = 0;
  // The height of its block, and its place in it; no height in the mempool.
  std::optional<uint64_t> height;
  uint32_t block_index = 0;
  // The order in which transactions arrived: the mempool's order.
  uint64_t arrival = 0;
};

struct Block {
  Hash256 hash{};
  bitcoin::BlockHeader header;
  uint64_t height = 0;
  std::vector<Hash256> txids;
  // The serialized size of the header and its transactions.
  uint64_t size = 0;
};

// TxoStats count the outputs an address received and spent.
struct TxoStats {
  int64_t funded_count = 0;
  int64_t funded_sum = 0;
  int64_t spent_count = 0;
  int64_t spent_sum = 0;
  int64_t tx_count = 0;
};

struct AddressSummary {
  TxoStats chain;
  TxoStats mempool;
};

struct Unspent {
  bitcoin::OutPoint outpoint;
  int64_t value_sats = 0;
  const ChainTx* tx = nullptr;
};

// Spender is the input that spends an output.
struct Spender {
  Hash256 txid{};
  uint32_t vin = 0;
};

class SimulatedChain {
 public:
  // The chain starts with a genesis block whose coinbase pays the faucet,
  // from which Fund draws.
  SimulatedChain(bitcoin::Network network, Clock& clock);

  bitcoin::Network network() const { return network_; }

  struct Payment {
    std::string address;
    int64_t sats = 0;
  };
  // Fund pays each address from the faucet, in one mempool transaction.
  absl::StatusOr<Hash256> Fund(const std::vector<Payment>& payments);
  // Spend sends `sats` from `address`'s unspent outputs to `to` (the faucet
  // when empty), its change back to `address`, a fee on top.
  absl::StatusOr<Hash256> Spend(absl::string_view address, int64_t sats,
                                absl::string_view to);
  // Mine appends `count` blocks; the first takes the whole mempool.
  std::vector<Hash256> Mine(int count);
  // Reorg replaces the last `depth` blocks with `depth + 1` new ones. Their
  // transactions return to the mempool and are mined again, or with
  // `drop_transactions` vanish with everything that spends them.
  absl::Status Reorg(int depth, bool drop_transactions);

  const Block& tip() const { return blocks_.back(); }
  const Block* BlockAt(uint64_t height) const;
  const Block* FindBlock(const Hash256& hash) const;
  // Whether `hash` is a block of the best chain, or was one before a reorg.
  bool IsStale(const Hash256& hash) const { return stale_.contains(hash); }
  const ChainTx* FindTx(const Hash256& txid) const;
  std::optional<Spender> SpenderOf(const bitcoin::OutPoint& outpoint) const;

  // The parsed address, of this chain's network; INVALID_ARGUMENT naming
  // what is wrong.
  absl::StatusOr<bitcoin::Address> ParseAddress(absl::string_view text) const;
  AddressSummary Summary(const bitcoin::Address& address) const;
  // Transactions touching the address: the mempool's newest first, then the
  // chain's newest first.
  std::vector<const ChainTx*> AddressTransactions(
      const bitcoin::Address& address) const;
  std::vector<Unspent> Unspents(const bitcoin::Address& address) const;
  // The mempool in arrival order.
  std::vector<const ChainTx*> Mempool() const;
  // The median time of the 11 blocks up to `height`.
  uint32_t MedianTime(uint64_t height) const;

 private:
  using Script = std::string;

  Hash256 Accept(bitcoin::Transaction tx);
  void Drop(const Hash256& txid);
  Hash256 MineBlock(std::vector<Hash256> txids);
  std::vector<Unspent> UnspentsOf(const Script& script) const;

  const bitcoin::Network network_;
  Clock& clock_;
  const bitcoin::Bytes faucet_script_;
  const bitcoin::Bytes miner_script_;
  bitcoin::OutPoint faucet_outpoint_;
  std::vector<Block> blocks_;
  absl::flat_hash_map<Hash256, uint64_t> heights_;
  absl::flat_hash_map<Hash256, Block> stale_;
  absl::flat_hash_map<Hash256, ChainTx> txs_;
  absl::flat_hash_map<bitcoin::OutPoint, Spender> spenders_;
  // Every transaction touching a script, in arrival order.
  absl::flat_hash_map<Script, std::vector<Hash256>> by_script_;
  uint64_t arrivals_ = 0;
  uint32_t nonces_ = 0;
};

}  // namespace chainsync::btcsim
