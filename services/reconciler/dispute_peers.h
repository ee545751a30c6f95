#pragma once

// LiveDisputePeers is the disputes' port on the running system: the oracle
// over its gRPC API, rBTC's balance on chain with eth_call at the head.

#include <memory>

#include "libs/evm/json_rpc_client.h"
#include "services/reconciler/disputes.h"
#include "services/reconciler/oracle_reader.h"

namespace chainsync::reconciler {

class LiveDisputePeers final : public DisputePeers {
 public:
  LiveDisputePeers(std::shared_ptr<OracleReader> oracle,
                   std::shared_ptr<evm::JsonRpcClient> chain,
                   const evm::Address& token)
      : oracle_(std::move(oracle)), chain_(std::move(chain)), token_(token) {}

  absl::StatusOr<std::vector<std::string>> BitcoinAddresses(
      const evm::Address& account) override;
  absl::StatusOr<int64_t> RecordedBalance(const evm::Address& account) override;
  absl::Status RequestSync(const evm::Address& account) override;
  absl::StatusOr<std::optional<CorrectiveSync>> FindSync(
      const evm::Address& account, int64_t balance, absl::Time since) override;

 private:
  const std::shared_ptr<OracleReader> oracle_;
  const std::shared_ptr<evm::JsonRpcClient> chain_;
  const evm::Address token_;
};

}  // namespace chainsync::reconciler
