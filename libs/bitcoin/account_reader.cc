#include "libs/bitcoin/account_reader.h"

#include "absl/strings/str_cat.h"

namespace chainsync::bitcoin {

namespace {

// Times the tip may move under one account's read before it is stale: more
// than a block or two during one read is an API whose tip and addresses
// disagree, not a moving chain.
constexpr int kMaxTipMoves = 3;

// ReadAt reads every address at `tip`; `moved` says whether an answer was
// of a chain past it.
AccountReading ReadAt(BitcoinSource& source,
                      const std::vector<Address>& addresses, uint64_t tip,
                      int confirmations, bool* moved) {
  AccountReading reading;
  reading.tip = tip;
  int64_t confirmed = 0;
  for (const Address& address : addresses) {
    AddressReading& read = reading.addresses.emplace_back();
    read.bitcoin_address = address.text;
    absl::StatusOr<AddressBalance> balance =
        source.Balance(address, tip, confirmations);
    if (!balance.ok()) {
      if (balance.status().code() == absl::StatusCode::kAborted) {
        *moved = true;
      }
      read.error = std::string(balance.status().message());
      if (reading.stale_reason.empty()) {
        reading.stale_reason = absl::StrCat(address.text, ": ", read.error);
      }
      continue;
    }
    read.balance = *balance;
    confirmed += balance->confirmed_sats;
    reading.pending_sats += balance->pending_sats;
  }
  if (reading.stale_reason.empty()) reading.confirmed_sats = confirmed;
  return reading;
}

}  // namespace

AccountReading ReadAccount(BitcoinSource& source,
                           const std::vector<Address>& addresses, uint64_t tip,
                           int confirmations) {
  bool moved = false;
  AccountReading reading =
      ReadAt(source, addresses, tip, confirmations, &moved);
  for (int moves = 0; moved && moves < kMaxTipMoves; ++moves) {
    const absl::StatusOr<uint64_t> newer = source.TipHeight();
    if (!newer.ok() || *newer <= reading.tip) break;
    moved = false;
    reading = ReadAt(source, addresses, *newer, confirmations, &moved);
  }
  return reading;
}

}  // namespace chainsync::bitcoin
