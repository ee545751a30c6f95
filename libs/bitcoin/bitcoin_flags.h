#pragma once

// The flags of the services that read Bitcoin addresses: which network,
// which Esplora APIs and how gently, and how deep an output must be to count.
// The oracle mirrors with them and the reconciler checks disputes with them,
// so both read the same balances from the same settings.

#include <memory>

#include "absl/status/statusor.h"
#include "libs/bitcoin/address.h"
#include "libs/bitcoin/balance_source.h"

namespace chainsync::bitcoin {

// NetworkFromFlag reads --bitcoin_network.
absl::StatusOr<Network> NetworkFromFlag();

// BitcoinSourceFromFlags builds the Esplora source --bitcoin_api_url and
// the --bitcoin_api_* limits describe.
absl::StatusOr<std::shared_ptr<BitcoinSource>> BitcoinSourceFromFlags();

// ConfirmationsFromFlag reads --btc_confirmations.
absl::StatusOr<int> ConfirmationsFromFlag();

}  // namespace chainsync::bitcoin
