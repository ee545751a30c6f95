#pragma once

// BitcoinSource is the port to what the Bitcoin network says of an address:
// its spendable outputs and how deep they are. The oracle mirrors what it
// reads and the reconciler checks disputes with it; EsploraSource is the
// adapter on an Esplora API, and the cores' tests use a scripted one.

#include <cstdint>

#include "absl/status/statusor.h"
#include "libs/bitcoin/address.h"

namespace chainsync::bitcoin {

// AddressBalance is what an address holds unspent, in satoshis: in outputs
// buried under at least the required confirmations, and in newer or
// unconfirmed ones (which are reported, never mirrored).
struct AddressBalance {
  int64_t confirmed_sats = 0;
  int64_t pending_sats = 0;
};

class BitcoinSource {
 public:
  virtual ~BitcoinSource() = default;

  // TipHeight is the height of the best block.
  virtual absl::StatusOr<uint64_t> TipHeight() = 0;

  // Balance reads `address` as of the best block at `tip`: an output counts
  // as confirmed when `confirmations` blocks (its own included) hold it. An
  // API error, a timeout or an answer that cannot be true is an error —
  // never a zero balance. ABORTED says the answer is of a chain past `tip`
  // (a block was found since): read the tip again.
  virtual absl::StatusOr<AddressBalance> Balance(const Address& address,
                                                 uint64_t tip,
                                                 int confirmations) = 0;
};

}  // namespace chainsync::bitcoin
