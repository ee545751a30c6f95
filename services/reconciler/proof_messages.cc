#include "services/reconciler/proof_messages.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/evm/address.h"
#include "libs/evm/bytes.h"

namespace chainsync::reconciler {

absl::StatusOr<uint64_t> ParseSum(const std::string& text,
                                  const std::string& field) {
  uint64_t sum = 0;
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": a sum is a non-negative decimal number, got \"", text, "\""));
  }
  if (!absl::SimpleAtoi(text, &sum)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", text, " does not fit in 64 bits"));
  }
  return sum;
}

v1::MerkleSumNode NodeMessage(const crypto::SumNode& node) {
  v1::MerkleSumNode message;
  message.set_hash(evm::ToHex(node.hash));
  message.set_sum(absl::StrCat(node.sum));
  return message;
}

absl::StatusOr<crypto::SumNode> NodeFromMessage(const v1::MerkleSumNode& node,
                                                const std::string& field) {
  absl::StatusOr<crypto::Digest32> hash =
      evm::FixedFromHex<32>(node.hash(), field + ".hash");
  if (!hash.ok()) return hash.status();
  absl::StatusOr<uint64_t> sum = ParseSum(node.sum(), field + ".sum");
  if (!sum.ok()) return sum.status();
  return crypto::SumNode{.hash = *hash, .sum = *sum};
}

v1::InclusionProof ProofMessage(const std::string& proof_id,
                                const crypto::InclusionProof& proof,
                                const crypto::SumNode& root) {
  v1::InclusionProof message;
  message.set_proof_id(proof_id);
  message.set_address(evm::Address(proof.account).ToChecksumHex());
  *message.mutable_leaf() =
      NodeMessage(crypto::LeafNode({.account = proof.account,
                                    .salt = proof.salt,
                                    .balance = proof.balance}));
  message.set_salt(evm::ToHex(proof.salt));
  for (const crypto::ProofStep& step : proof.path) {
    v1::ProofStep* added = message.add_path();
    *added->mutable_sibling() = NodeMessage(step.sibling);
    added->set_side(step.sibling_is_left ? v1::SIDE_LEFT : v1::SIDE_RIGHT);
  }
  *message.mutable_root() = NodeMessage(root);
  return message;
}

absl::StatusOr<ReadProof> ProofFromMessage(const v1::InclusionProof& message) {
  ReadProof read;
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(message.address(), "address");
  if (!account.ok()) return account.status();
  read.proof.account = account->bytes();
  absl::StatusOr<crypto::Digest32> salt =
      evm::FixedFromHex<32>(message.salt(), "salt");
  if (!salt.ok()) return salt.status();
  read.proof.salt = *salt;
  absl::StatusOr<crypto::SumNode> leaf =
      NodeFromMessage(message.leaf(), "leaf");
  if (!leaf.ok()) return leaf.status();
  read.proof.balance = leaf->sum;
  if (crypto::LeafNode({.account = read.proof.account,
                        .salt = read.proof.salt,
                        .balance = read.proof.balance})
          .hash != leaf->hash) {
    return absl::InvalidArgumentError(
        "leaf.hash: not sha256(salt || address) of this proof's salt and "
        "address");
  }
  for (int i = 0; i < message.path_size(); ++i) {
    const std::string field = absl::StrCat("path[", i, "]");
    const v1::ProofStep& step = message.path(i);
    absl::StatusOr<crypto::SumNode> sibling =
        NodeFromMessage(step.sibling(), field + ".sibling");
    if (!sibling.ok()) return sibling.status();
    if (step.side() != v1::SIDE_LEFT && step.side() != v1::SIDE_RIGHT) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".side: SIDE_LEFT or SIDE_RIGHT"));
    }
    read.proof.path.push_back(
        {.sibling = *sibling, .sibling_is_left = step.side() == v1::SIDE_LEFT});
  }
  absl::StatusOr<crypto::SumNode> root =
      NodeFromMessage(message.root(), "root");
  if (!root.ok()) return root.status();
  read.root = *root;
  return read;
}

}  // namespace chainsync::reconciler
