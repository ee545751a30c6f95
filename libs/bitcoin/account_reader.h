#pragma once

// ReadAccount reads every Bitcoin address of one account at one tip and
// sums what they hold. Pure but for the BitcoinSource it is given: the
// oracle's sweep and ForceUserSync and the reconciler's dispute checks share
// it, and its tests script the source.

#include <optional>
#include <string>
#include <vector>

#include "libs/bitcoin/address.h"
#include "libs/bitcoin/balance_source.h"

namespace chainsync::bitcoin {

struct AddressReading {
  std::string bitcoin_address;
  // Absent when it could not be read; `error` says why.
  std::optional<AddressBalance> balance;
  std::string error;
};

struct AccountReading {
  uint64_t tip = 0;
  std::vector<AddressReading> addresses;
  // The confirmed total, only when every address was read: a total with a
  // hole would mirror too little.
  std::optional<int64_t> confirmed_sats;
  int64_t pending_sats = 0;
  // Why there is no total (the first address's error), empty when whole.
  std::string stale_reason;
};

// An answer of a chain past `tip` (a block found during the read) has the
// tip read again and the whole account read again at it, a few times at
// most: a total is always of one chain, and one new block costs a re-read,
// not a stale account. The reading's `tip` is the one it was made at.
AccountReading ReadAccount(BitcoinSource& source,
                           const std::vector<Address>& addresses, uint64_t tip,
                           int confirmations);

}  // namespace chainsync::bitcoin
