#pragma once

#include <memory>

#include "libs/bitcoin/balance_source.h"
#include "libs/bitcoin/esplora_client.h"

namespace chainsync::bitcoin {

// EsploraSource reads balances from an address's UTXOs (GET
// /address/:a/utxo): their heights against the tip give the confirmations.
// Outputs spent by an unconfirmed transaction are no longer listed, so a
// balance never counts what is already on its way out.
class EsploraSource final : public BitcoinSource {
 public:
  explicit EsploraSource(std::unique_ptr<EsploraClient> client)
      : client_(std::move(client)) {}

  absl::StatusOr<uint64_t> TipHeight() override;
  absl::StatusOr<AddressBalance> Balance(const Address& address, uint64_t tip,
                                         int confirmations) override;

 private:
  std::unique_ptr<EsploraClient> client_;
};

}  // namespace chainsync::bitcoin
