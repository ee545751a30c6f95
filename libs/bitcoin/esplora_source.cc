#include "libs/bitcoin/esplora_source.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace chainsync::bitcoin {
namespace {

// No amount can exceed all the bitcoin there will ever be.
constexpr int64_t kMaxSats = 21'000'000 * int64_t{100'000'000};

absl::Status Inconsistent(const Address& address, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("the Bitcoin API's answer for ",
                                             address.text,
                                             " cannot be true: ", what));
}

}  // namespace

absl::StatusOr<uint64_t> EsploraSource::TipHeight() {
  return client_->GetTipHeight();
}

absl::StatusOr<AddressBalance> EsploraSource::Balance(const Address& address,
                                                      uint64_t tip,
                                                      int confirmations) {
  absl::StatusOr<std::vector<Utxo>> utxos = client_->GetUtxos(address);
  if (!utxos.ok()) return utxos.status();
  AddressBalance balance;
  std::set<std::pair<std::string, uint32_t>> seen;
  for (const Utxo& utxo : *utxos) {
    if (utxo.value_sats <= 0 || utxo.value_sats > kMaxSats) {
      return Inconsistent(
          address, absl::StrCat("an output of ", utxo.value_sats, " sats"));
    }
    if (!seen.emplace(utxo.txid, utxo.vout).second) {
      return Inconsistent(address, absl::StrCat("output ", utxo.txid, ":",
                                                utxo.vout, " listed twice"));
    }
    if (!utxo.status.confirmed) {
      balance.pending_sats += utxo.value_sats;
      continue;
    }
    if (!utxo.status.block_height.has_value()) {
      return Inconsistent(address, "a confirmed output without a height");
    }
    const uint64_t height = *utxo.status.block_height;
    // A block the tip read before did not include: the chain moved between
    // the two reads, and the answer is of another chain than the tip's.
    if (height > tip) {
      return absl::AbortedError(
          absl::StrCat("the Bitcoin API reports an output of ", address.text,
                       " at height ", height, ", above the tip ", tip,
                       " read before: the chain moved, read again"));
    }
    if (tip - height + 1 >= static_cast<uint64_t>(confirmations)) {
      balance.confirmed_sats += utxo.value_sats;
    } else {
      balance.pending_sats += utxo.value_sats;
    }
    if (balance.confirmed_sats + balance.pending_sats > kMaxSats) {
      return Inconsistent(address, "more than 21 million bitcoin");
    }
  }
  return balance;
}

}  // namespace chainsync::bitcoin
