#pragma once

// The proof of reserves' Merkle sum tree in the API's words: nodes, paths
// and inclusion proofs as reconciler.proto writes them (hashes 0x-hex, sums
// decimal strings), read back strictly — a proof a user hands to
// chainsync-verify-proof is untrusted input.

#include <string>

#include "absl/status/statusor.h"
#include "chainsync/reconciler/v1/reconciler.pb.h"
#include "libs/crypto/merkle_sum_tree.h"

namespace chainsync::reconciler {

// ParseSum reads a sum: decimal digits only, so a sign, a fraction or an
// exponent is refused rather than read as something else; INVALID_ARGUMENT
// names `field`.
absl::StatusOr<uint64_t> ParseSum(const std::string& text,
                                  const std::string& field);

v1::MerkleSumNode NodeMessage(const crypto::SumNode& node);
// NodeFromMessage reads a node; INVALID_ARGUMENT names `field` and what is
// wrong with it.
absl::StatusOr<crypto::SumNode> NodeFromMessage(const v1::MerkleSumNode& node,
                                                const std::string& field);

// ProofMessage writes an account's proof under `root`.
v1::InclusionProof ProofMessage(const std::string& proof_id,
                                const crypto::InclusionProof& proof,
                                const crypto::SumNode& root);

// A proof as read from its message, with the root it claims to lead to.
struct ReadProof {
  crypto::InclusionProof proof;
  crypto::SumNode root;
};

// ProofFromMessage reads a proof message; INVALID_ARGUMENT names the field.
// The leaf it carries must be the one its salt, account and sum make.
absl::StatusOr<ReadProof> ProofFromMessage(const v1::InclusionProof& message);

}  // namespace chainsync::reconciler
