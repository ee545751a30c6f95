#pragma once

// A Merkle sum tree for proof of reserves: every node commits to a hash and
// to the sum of the balances below it, so an account that finds its leaf
// under the published root knows its balance is counted in the published
// total. Both children's sums enter each parent's hash — committing only
// their total would let a prover use the larger child's sum for both
// (ePrint 2018/1139).
//
//   leaf   = (sha256(salt || account), balance)
//   parent = (sha256(L.hash || be32(L.sum) || R.hash || be32(R.sum)),
//             L.sum + R.sum)
//
// be32 is the sum as a 32-byte big-endian number. A level of odd length is
// padded with the empty node (32 zero bytes, sum 0), which adds nothing.

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "libs/crypto/hashes.h"

namespace chainsync::crypto {

// An account as the tree knows it: its 20-byte EVM address.
using AccountId = std::array<uint8_t, 20>;

struct SumNode {
  Digest32 hash{};
  uint64_t sum = 0;

  bool operator==(const SumNode& other) const = default;
};

// SumLeaf is one account's entry: the salt hides who the leaf is from
// anyone who has not been given it.
struct SumLeaf {
  AccountId account{};
  Digest32 salt{};
  uint64_t balance = 0;
};

// ProofStep is one sibling on the way from a leaf to the root.
struct ProofStep {
  SumNode sibling;
  // Whether the sibling is the left child (the path's node the right one).
  bool sibling_is_left = false;

  bool operator==(const ProofStep& other) const = default;
};

// InclusionProof is what an account needs to check its balance is counted:
// its leaf's preimage and the siblings up to the root.
struct InclusionProof {
  AccountId account{};
  Digest32 salt{};
  uint64_t balance = 0;
  std::vector<ProofStep> path;
};

SumNode LeafNode(const SumLeaf& leaf);
// ParentNode joins two children; INVALID_ARGUMENT when their sum does not
// fit in 64 bits.
absl::StatusOr<SumNode> ParentNode(const SumNode& left, const SumNode& right);

class MerkleSumTree {
 public:
  // Build makes the tree over `leaves` in their order. INVALID_ARGUMENT
  // when there are none, or when the total does not fit in 64 bits (no
  // Bitcoin supply comes near; a balance that does is wrong data).
  static absl::StatusOr<MerkleSumTree> Build(absl::Span<const SumLeaf> leaves);

  const SumNode& root() const { return levels_.back().front(); }
  size_t leaf_count() const { return leaf_count_; }
  // Levels from the leaves (level 0, padded) up to the root's.
  const std::vector<std::vector<SumNode>>& levels() const { return levels_; }

  // PathOf is the siblings from leaf `index` up to the root.
  std::vector<ProofStep> PathOf(size_t index) const;

 private:
  MerkleSumTree() = default;

  size_t leaf_count_ = 0;
  std::vector<std::vector<SumNode>> levels_;
};

// VerifyInclusion recomputes the path from the proof's leaf and checks that
// it ends at `root`, hash and sum. The error names the first thing that
// does not hold: a sum that overflows, a root that differs.
absl::Status VerifyInclusion(const InclusionProof& proof, const SumNode& root);

}  // namespace chainsync::crypto
