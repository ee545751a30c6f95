#pragma once

#include <memory>

#include "libs/bitcoin/esplora_client.h"
#include "services/oracle/bitcoin_source.h"

namespace chainsync::oracle {

// EsploraSource reads balances from an address's UTXOs (GET
// /address/:a/utxo): their heights against the tip give the confirmations.
// Outputs spent by an unconfirmed transaction are no longer listed, so a
// balance never counts what is already on its way out.
class EsploraSource final : public BitcoinSource {
 public:
  explicit EsploraSource(std::unique_ptr<bitcoin::EsploraClient> client)
      : client_(std::move(client)) {}

  absl::StatusOr<uint64_t> TipHeight() override;
  absl::StatusOr<AddressBalance> Balance(const bitcoin::Address& address,
                                         uint64_t tip,
                                         int confirmations) override;

 private:
  std::unique_ptr<bitcoin::EsploraClient> client_;
};

}  // namespace chainsync::oracle
