#include "tools/btcsim/simulated_chain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace chainsync::btcsim {
namespace {

using bitcoin::Bytes;
using bitcoin::OutPoint;
using bitcoin::Transaction;
using bitcoin::TxIn;
using bitcoin::TxOut;

constexpr int64_t kCoin = 100'000'000;
// The faucet holds what the genesis coinbase paid it: more than any test
// funds.
constexpr int64_t kFaucetSats = 20'000'000 * kCoin;
constexpr int64_t kSubsidySats = 50 * kCoin;
// Outputs below it are not made: Bitcoin Core's dust limit for P2WPKH.
constexpr int64_t kDustSats = 294;

// A fixed P2WPKH script from a label: the simulator signs nothing, so the
// faucet and the miner need no keys.
Bytes ScriptOf(absl::string_view label) {
  const crypto::Digest20 hash = crypto::Hash160(crypto::BytesOf(label));
  Bytes script(2 + hash.size());
  script[1] = static_cast<uint8_t>(hash.size());  // OP_0 PUSH20
  std::copy(hash.begin(), hash.end(), script.begin() + 2);
  return script;
}

std::string Key(const Bytes& script) {
  return std::string(script.begin(), script.end());
}

// The fee of a transaction at 1 sat/vB, from the size of P2WPKH inputs and
// outputs.
int64_t FeeFor(size_t inputs, size_t outputs) {
  return 11 + 68 * static_cast<int64_t>(inputs) +
         31 * static_cast<int64_t>(outputs);
}

// A coinbase's scriptSig starts with its height (BIP-34); the nonce keeps
// the coinbases of competing blocks at one height apart.
Bytes CoinbaseScript(uint64_t height, uint32_t nonce) {
  Bytes script = {8};
  bitcoin::AppendLittleEndian(&script, height, 4);
  bitcoin::AppendLittleEndian(&script, nonce, 4);
  return script;
}

}  // namespace

SimulatedChain::SimulatedChain(bitcoin::Network network, Clock& clock)
    : network_(network),
      clock_(clock),
      faucet_script_(ScriptOf("chainsync-btcsim faucet")),
      miner_script_(ScriptOf("chainsync-btcsim miner")) {
  Transaction coinbase;
  coinbase.inputs.push_back({.previous = {.txid = {}, .vout = 0xffffffff},
                             .script_sig = CoinbaseScript(0, nonces_++)});
  coinbase.outputs.push_back(
      {.value_sats = kFaucetSats, .script_pubkey = faucet_script_});
  const Hash256 txid = Accept(std::move(coinbase));
  faucet_outpoint_ = {.txid = txid, .vout = 0};
  MineBlock({txid});
}

absl::StatusOr<bitcoin::Address> SimulatedChain::ParseAddress(
    absl::string_view text) const {
  return bitcoin::Address::Parse(text, network_);
}

absl::StatusOr<Hash256> SimulatedChain::Fund(
    const std::vector<Payment>& payments) {
  if (payments.empty()) {
    return absl::InvalidArgumentError("outputs: at least one payment");
  }
  Transaction tx;
  tx.inputs.push_back({.previous = faucet_outpoint_, .sequence = 0xfffffffd});
  int64_t paid = 0;
  for (const Payment& payment : payments) {
    absl::StatusOr<bitcoin::Address> to = ParseAddress(payment.address);
    if (!to.ok()) return to.status();
    if (payment.sats < kDustSats || payment.sats > kFaucetSats / 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("sats: ", payment.sats, " is not between ", kDustSats,
                       " and ", kFaucetSats / 1000));
    }
    tx.outputs.push_back(
        {.value_sats = payment.sats, .script_pubkey = to->ScriptPubKey()});
    paid += payment.sats;
  }
  const int64_t fee = FeeFor(1, payments.size() + 1);
  const int64_t held = txs_.at(faucet_outpoint_.txid)
                           .tx.outputs[faucet_outpoint_.vout]
                           .value_sats;
  if (paid + fee + kDustSats > held) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the faucet holds ", held, " sats, less than ", paid + fee));
  }
  tx.outputs.push_back(
      {.value_sats = held - paid - fee, .script_pubkey = faucet_script_});
  const uint32_t change = static_cast<uint32_t>(tx.outputs.size() - 1);
  const Hash256 txid = Accept(std::move(tx));
  faucet_outpoint_ = {.txid = txid, .vout = change};
  return txid;
}

absl::StatusOr<Hash256> SimulatedChain::Spend(absl::string_view address,
                                              int64_t sats,
                                              absl::string_view to) {
  absl::StatusOr<bitcoin::Address> from = ParseAddress(address);
  if (!from.ok()) return from.status();
  Bytes to_script = faucet_script_;
  if (!to.empty()) {
    absl::StatusOr<bitcoin::Address> payee = ParseAddress(to);
    if (!payee.ok()) return payee.status();
    to_script = payee->ScriptPubKey();
  }
  if (sats < kDustSats) {
    return absl::InvalidArgumentError(
        absl::StrCat("sats: ", sats, " is below the dust limit ", kDustSats));
  }
  std::vector<Unspent> unspents = Unspents(*from);
  std::sort(unspents.begin(), unspents.end(),
            [](const Unspent& a, const Unspent& b) {
              return a.value_sats > b.value_sats;
            });
  Transaction tx;
  int64_t gathered = 0;
  for (const Unspent& unspent : unspents) {
    if (gathered >= sats + FeeFor(tx.inputs.size(), 2)) break;
    tx.inputs.push_back({.previous = unspent.outpoint, .sequence = 0xfffffffd});
    gathered += unspent.value_sats;
  }
  const int64_t fee = FeeFor(tx.inputs.size(), 2);
  if (gathered < sats + fee) {
    return absl::FailedPreconditionError(
        absl::StrCat(address, " holds ", gathered, " sats unspent, less than ",
                     sats, " and the fee of ", fee));
  }
  tx.outputs.push_back({.value_sats = sats, .script_pubkey = to_script});
  if (gathered - sats - fee >= kDustSats) {
    tx.outputs.push_back({.value_sats = gathered - sats - fee,
                          .script_pubkey = from->ScriptPubKey()});
  }
  return Accept(std::move(tx));
}

std::vector<Hash256> SimulatedChain::Mine(int count) {
  std::vector<Hash256> hashes;
  for (int i = 0; i < count; ++i) {
    std::vector<Hash256> txids;
    if (i == 0) {
      for (const ChainTx* tx : Mempool()) txids.push_back(tx->txid);
    }
    hashes.push_back(MineBlock(std::move(txids)));
  }
  return hashes;
}

absl::Status SimulatedChain::Reorg(int depth, bool drop_transactions) {
  if (depth < 1 || static_cast<uint64_t>(depth) > tip().height) {
    return absl::InvalidArgumentError(
        absl::StrCat("depth: ", depth, " is not between 1 and ", tip().height,
                     " (the genesis block stays)"));
  }
  for (int i = 0; i < depth; ++i) {
    Block block = std::move(blocks_.back());
    blocks_.pop_back();
    heights_.erase(block.hash);
    // The coinbase first: nothing else in the block spends it.
    Drop(block.txids.front());
    for (auto txid = block.txids.rbegin(); txid + 1 != block.txids.rend();
         ++txid) {
      if (drop_transactions) {
        Drop(*txid);
      } else if (auto tx = txs_.find(*txid); tx != txs_.end()) {
        tx->second.height.reset();
      }
    }
    stale_.emplace(block.hash, std::move(block));
  }
  if (drop_transactions && !txs_.contains(faucet_outpoint_.txid)) {
    // The faucet's change went with its transaction: draw from what is left.
    int64_t most = -1;
    for (const Unspent& unspent : UnspentsOf(Key(faucet_script_))) {
      if (unspent.value_sats > most) {
        most = unspent.value_sats;
        faucet_outpoint_ = unspent.outpoint;
      }
    }
  }
  Mine(depth + 1);
  return absl::OkStatus();
}

const Block* SimulatedChain::BlockAt(uint64_t height) const {
  return height < blocks_.size() ? &blocks_[height] : nullptr;
}

const Block* SimulatedChain::FindBlock(const Hash256& hash) const {
  if (auto height = heights_.find(hash); height != heights_.end()) {
    return &blocks_[height->second];
  }
  if (auto stale = stale_.find(hash); stale != stale_.end()) {
    return &stale->second;
  }
  return nullptr;
}

const ChainTx* SimulatedChain::FindTx(const Hash256& txid) const {
  const auto tx = txs_.find(txid);
  return tx == txs_.end() ? nullptr : &tx->second;
}

std::optional<Spender> SimulatedChain::SpenderOf(
    const OutPoint& outpoint) const {
  const auto spender = spenders_.find(outpoint);
  if (spender == spenders_.end()) return std::nullopt;
  return spender->second;
}

AddressSummary SimulatedChain::Summary(const bitcoin::Address& address) const {
  AddressSummary summary;
  const Bytes script = address.ScriptPubKey();
  const auto txids = by_script_.find(Key(script));
  if (txids == by_script_.end()) return summary;
  for (const Hash256& txid : txids->second) {
    const ChainTx& tx = txs_.at(txid);
    TxoStats& stats = tx.height.has_value() ? summary.chain : summary.mempool;
    ++stats.tx_count;
    for (const TxOut& output : tx.tx.outputs) {
      if (output.script_pubkey != script) continue;
      ++stats.funded_count;
      stats.funded_sum += output.value_sats;
    }
    for (const TxOut& prevout : tx.prevouts) {
      if (prevout.script_pubkey != script) continue;
      ++stats.spent_count;
      stats.spent_sum += prevout.value_sats;
    }
  }
  return summary;
}

std::vector<const ChainTx*> SimulatedChain::AddressTransactions(
    const bitcoin::Address& address) const {
  std::vector<const ChainTx*> txs;
  const auto txids = by_script_.find(Key(address.ScriptPubKey()));
  if (txids == by_script_.end()) return txs;
  for (const Hash256& txid : txids->second) txs.push_back(&txs_.at(txid));
  std::sort(txs.begin(), txs.end(), [](const ChainTx* a, const ChainTx* b) {
    if (a->height.has_value() != b->height.has_value()) {
      return !a->height.has_value();
    }
    if (a->height != b->height) return *a->height > *b->height;
    if (a->height.has_value()) return a->block_index > b->block_index;
    return a->arrival > b->arrival;
  });
  return txs;
}

std::vector<Unspent> SimulatedChain::Unspents(
    const bitcoin::Address& address) const {
  return UnspentsOf(Key(address.ScriptPubKey()));
}

std::vector<Unspent> SimulatedChain::UnspentsOf(const Script& script) const {
  std::vector<Unspent> unspents;
  const auto txids = by_script_.find(script);
  if (txids == by_script_.end()) return unspents;
  for (const Hash256& txid : txids->second) {
    const ChainTx& tx = txs_.at(txid);
    for (uint32_t vout = 0; vout < tx.tx.outputs.size(); ++vout) {
      const TxOut& output = tx.tx.outputs[vout];
      const OutPoint outpoint{.txid = txid, .vout = vout};
      if (Key(output.script_pubkey) != script || spenders_.contains(outpoint))
        continue;
      unspents.push_back(
          {.outpoint = outpoint, .value_sats = output.value_sats, .tx = &tx});
    }
  }
  return unspents;
}

std::vector<const ChainTx*> SimulatedChain::Mempool() const {
  std::vector<const ChainTx*> mempool;
  for (const auto& [txid, tx] : txs_) {
    if (!tx.height.has_value()) mempool.push_back(&tx);
  }
  std::sort(mempool.begin(), mempool.end(),
            [](const ChainTx* a, const ChainTx* b) {
              return a->arrival < b->arrival;
            });
  return mempool;
}

uint32_t SimulatedChain::MedianTime(uint64_t height) const {
  std::vector<uint32_t> times;
  for (uint64_t h = height + 1; h-- > 0 && times.size() < 11;) {
    times.push_back(blocks_[h].header.time);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

Hash256 SimulatedChain::Accept(Transaction tx) {
  ChainTx entry;
  entry.txid = tx.Txid();
  entry.arrival = arrivals_++;
  std::vector<Script> scripts;
  int64_t in = 0;
  if (!tx.is_coinbase()) {
    for (uint32_t vin = 0; vin < tx.inputs.size(); ++vin) {
      const OutPoint& previous = tx.inputs[vin].previous;
      const TxOut& prevout = txs_.at(previous.txid).tx.outputs[previous.vout];
      entry.prevouts.push_back(prevout);
      in += prevout.value_sats;
      spenders_[previous] = {.txid = entry.txid, .vin = vin};
      scripts.push_back(Key(prevout.script_pubkey));
    }
  }
  int64_t out = 0;
  for (const TxOut& output : tx.outputs) {
    out += output.value_sats;
    scripts.push_back(Key(output.script_pubkey));
  }
  entry.fee_sats = tx.is_coinbase() ? 0 : in - out;
  std::sort(scripts.begin(), scripts.end());
  scripts.erase(std::unique(scripts.begin(), scripts.end()), scripts.end());
  for (Script& script : scripts) {
    by_script_[std::move(script)].push_back(entry.txid);
  }
  entry.tx = std::move(tx);
  const Hash256 txid = entry.txid;
  txs_.emplace(txid, std::move(entry));
  return txid;
}

void SimulatedChain::Drop(const Hash256& txid) {
  const auto found = txs_.find(txid);
  if (found == txs_.end()) return;
  // Whatever spends its outputs goes first.
  for (uint32_t vout = 0; vout < found->second.tx.outputs.size(); ++vout) {
    if (const auto spender = SpenderOf({.txid = txid, .vout = vout})) {
      Drop(spender->txid);
    }
  }
  const ChainTx tx = std::move(found->second);
  txs_.erase(txid);
  const auto unlink = [&](const Bytes& script) {
    const auto list = by_script_.find(Key(script));
    if (list == by_script_.end()) return;
    list->second.erase(
        std::remove(list->second.begin(), list->second.end(), txid),
        list->second.end());
  };
  for (size_t vin = 0; vin < tx.prevouts.size(); ++vin) {
    spenders_.erase(tx.tx.inputs[vin].previous);
    unlink(tx.prevouts[vin].script_pubkey);
  }
  for (const TxOut& output : tx.tx.outputs) unlink(output.script_pubkey);
}

Hash256 SimulatedChain::MineBlock(std::vector<Hash256> txids) {
  const uint64_t height = blocks_.size();
  if (height > 0) {
    int64_t fees = 0;
    for (const Hash256& txid : txids) fees += txs_.at(txid).fee_sats;
    Transaction coinbase;
    coinbase.inputs.push_back(
        {.previous = {.txid = {}, .vout = 0xffffffff},
         .script_sig = CoinbaseScript(height, nonces_++)});
    coinbase.outputs.push_back(
        {.value_sats = kSubsidySats + fees, .script_pubkey = miner_script_});
    txids.insert(txids.begin(), Accept(std::move(coinbase)));
  }
  Block block;
  block.height = height;
  const uint32_t now = static_cast<uint32_t>(absl::ToUnixSeconds(clock_.Now()));
  block.header.time =
      height == 0 ? now : std::max(now, blocks_.back().header.time + 1);
  block.header.previous = height == 0 ? Hash256{} : blocks_.back().hash;
  block.header.merkle_root = bitcoin::MerkleRoot(txids);
  block.header.nonce = nonces_++;
  block.hash = block.header.Hash();
  block.size = 80;
  bitcoin::Bytes count;
  bitcoin::AppendVarint(&count, txids.size());
  block.size += count.size();
  for (uint32_t index = 0; index < txids.size(); ++index) {
    ChainTx& tx = txs_.at(txids[index]);
    tx.height = height;
    tx.block_index = index;
    block.size += tx.tx.Serialize().size();
  }
  block.txids = std::move(txids);
  heights_[block.hash] = height;
  blocks_.push_back(std::move(block));
  return blocks_.back().hash;
}

}  // namespace chainsync::btcsim
