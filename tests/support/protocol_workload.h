#pragma once

// ProtocolWorkload deploys the reference protocol on a test chain with keys
// of its own and runs a scripted workload that exercises every event: fee
// deposits and withdrawals, syncs that mint and burn, wraps, transfers and
// unwraps, emergency burns (an unpaid fee and a manual one), and yield-pool
// joins and leaves. It returns, in chain order, the events the chain must
// hold, so that tests compare what they decode or index with what was sent.

#include <memory>
#include <string>
#include <vector>

#include "contracts/deploy/deployment.h"
#include "libs/evm/signer.h"

namespace chainsync::testing {

struct ExpectedEvent {
  std::string contract;
  std::string event;
  // The arguments as AbiEvent::AppendArgumentsJson renders them.
  std::string arguments_json;
};

class ProtocolWorkload {
 public:
  // Deploy deploys the protocol on the chain at `rpc_url`.
  static std::unique_ptr<ProtocolWorkload> Deploy(const std::string& rpc_url);

  // Run sends the script; call it once. The returned events start with the
  // deployment's role wiring.
  std::vector<ExpectedEvent> Run();

  // Sync has the committee mirror `sats` for user 0, 1 or 2 (no fee).
  void Sync(size_t user, uint64_t sats);

  const contracts::Deployment& deployment() const { return deployment_; }
  // The committee's private key (hex), which the oracle signs with.
  const std::string& committee_key() const { return committee_key_; }
  // The publisher's private key (hex), which the reconciler publishes the
  // roots of proofs of reserves with.
  const std::string& publisher_key() const { return publisher_key_; }
  evm::JsonRpcClient& client() { return *client_; }
  // Holders are every account whose token balances the script changes.
  std::vector<evm::Address> holders() const;

 private:
  ProtocolWorkload() = default;

  std::unique_ptr<evm::JsonRpcClient> client_;
  std::unique_ptr<evm::LocalKeySigner> deployer_;
  std::unique_ptr<evm::LocalKeySigner> committee_;
  std::string committee_key_;
  std::unique_ptr<evm::LocalKeySigner> publisher_;
  std::string publisher_key_;
  std::vector<std::unique_ptr<evm::LocalKeySigner>> users_;
  contracts::Deployment deployment_;
};

}  // namespace chainsync::testing
