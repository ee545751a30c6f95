#pragma once

// ChainProofPublisher publishes the roots of proofs of reserves on the
// ReserveProofs contract, signed with the reconciler's publisher key. A
// proof is published once: before sending, the contract's events are asked
// whether the proof's id is there already (a run that died after sending),
// and the contract refuses an id twice.

#include <memory>

#include "contracts/deploy/deployment.h"
#include "libs/evm/json_rpc_client.h"
#include "libs/evm/signer.h"
#include "services/reconciler/reconciler.h"

namespace chainsync::reconciler {

class ChainProofPublisher final : public ProofPublisher {
 public:
  // FromDeployment needs the deployment's ReserveProofs, and `signer` to be
  // its publisher.
  static absl::StatusOr<std::unique_ptr<ChainProofPublisher>> FromDeployment(
      std::shared_ptr<evm::JsonRpcClient> client,
      std::unique_ptr<evm::Signer> signer,
      const contracts::Deployment& deployment);

  absl::StatusOr<Publication> Publish(const ReserveProof& proof) override;

 private:
  ChainProofPublisher(std::shared_ptr<evm::JsonRpcClient> client,
                      std::unique_ptr<evm::Signer> signer,
                      const contracts::DeployedContract& contract,
                      uint64_t chain_id)
      : client_(std::move(client)),
        signer_(std::move(signer)),
        contract_(contract.address),
        start_block_(contract.start_block),
        chain_id_(chain_id) {}

  // Find looks for the proof's publication among the contract's events.
  absl::StatusOr<std::optional<Publication>> Find(int64_t proof_id);

  const std::shared_ptr<evm::JsonRpcClient> client_;
  const std::unique_ptr<evm::Signer> signer_;
  const evm::Address contract_;
  const uint64_t start_block_;
  const uint64_t chain_id_;
};

}  // namespace chainsync::reconciler
