#include "services/reconciler/proof_publisher.h"

#include "absl/strings/str_cat.h"
#include "contracts/deploy/protocol_abi.h"
#include "libs/evm/transaction_sender.h"

namespace chainsync::reconciler {
namespace {

// How long a publication may wait to be mined before the run gives up; the
// next run publishes the proof it makes then.
constexpr absl::Duration kMinedWithin = absl::Minutes(2);

evm::Hash IdTopic(int64_t proof_id) {
  evm::Hash topic{};
  for (int i = 0; i < 8; ++i) {
    topic[31 - i] =
        static_cast<uint8_t>(static_cast<uint64_t>(proof_id) >> (8 * i));
  }
  return topic;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChainProofPublisher>>
ChainProofPublisher::FromDeployment(std::shared_ptr<evm::JsonRpcClient> client,
                                    std::unique_ptr<evm::Signer> signer,
                                    const contracts::Deployment& deployment) {
  const contracts::DeployedContract* contract =
      deployment.Find("ReserveProofs");
  if (contract == nullptr) {
    return absl::InvalidArgumentError(
        "the deployment has no ReserveProofs contract to publish proofs on "
        "(chainsync-deploy deploys it with --publisher_key_file)");
  }
  if (!deployment.publisher.has_value() ||
      *deployment.publisher != signer->address()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the publisher key is ", signer->address().ToChecksumHex(),
        ", not the publisher the deployment names (",
        deployment.publisher.has_value() ? deployment.publisher->ToChecksumHex()
                                         : "none",
        ")"));
  }
  return std::unique_ptr<ChainProofPublisher>(new ChainProofPublisher(
      std::move(client), std::move(signer), *contract, deployment.chain_id));
}

absl::StatusOr<std::optional<Publication>> ChainProofPublisher::Find(
    int64_t proof_id) {
  absl::StatusOr<uint64_t> head = client_->BlockNumber();
  if (!head.ok()) return head.status();
  absl::StatusOr<std::vector<evm::Log>> logs =
      client_->GetLogs({.from_block = start_block_,
                        .to_block = *head,
                        .addresses = {contract_},
                        .topics = {{contracts::protocol::ReservesProvedTopic()},
                                   {IdTopic(proof_id)}}});
  if (!logs.ok()) return logs.status();
  if (logs->empty()) return std::nullopt;
  return Publication{.contract = contract_,
                     .transaction = logs->front().transaction_hash,
                     .block = logs->front().block_number};
}

absl::StatusOr<Publication> ChainProofPublisher::Publish(
    const ReserveProof& proof) {
  absl::StatusOr<std::optional<Publication>> found = Find(proof.id);
  if (!found.ok()) return found.status();
  if (found->has_value()) return **found;
  absl::StatusOr<evm::Bytes> call =
      contracts::protocol::PublishReserves().EncodeCall(
          {evm::Uint256(proof.id),
           evm::Bytes(proof.root.hash.begin(), proof.root.hash.end()),
           evm::Uint256(proof.liabilities_sats),
           evm::Uint256(proof.reserves_sats), evm::Uint256(proof.block),
           evm::Uint256(proof.bitcoin_tip)});
  if (!call.ok()) return call.status();
  evm::TransactionSender sender(*client_, *signer_, chain_id_);
  absl::StatusOr<evm::Receipt> receipt =
      sender.SendAndWait({.to = contract_, .data = *call}, kMinedWithin);
  if (!receipt.ok()) {
    // Published meanwhile (another attempt's transaction mined first): the
    // contract refused the second, the first is the publication.
    absl::StatusOr<std::optional<Publication>> again = Find(proof.id);
    if (again.ok() && again->has_value()) return **again;
    return receipt.status();
  }
  return Publication{.contract = contract_,
                     .transaction = receipt->transaction_hash,
                     .block = receipt->block_number};
}

}  // namespace chainsync::reconciler
