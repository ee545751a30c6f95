#include "libs/crypto/merkle_sum_tree.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace chainsync::crypto {
namespace {

// PutSum writes `sum` as a 32-byte big-endian number at `out`.
void PutSum(uint64_t sum, uint8_t* out) {
  std::memset(out, 0, 24);
  for (int i = 0; i < 8; ++i) {
    out[24 + i] = static_cast<uint8_t>(sum >> (56 - 8 * i));
  }
}

}  // namespace

SumNode LeafNode(const SumLeaf& leaf) {
  std::array<uint8_t, 32 + 20> preimage;
  std::memcpy(preimage.data(), leaf.salt.data(), 32);
  std::memcpy(preimage.data() + 32, leaf.account.data(), 20);
  return {.hash = Sha256(preimage), .sum = leaf.balance};
}

absl::StatusOr<SumNode> ParentNode(const SumNode& left, const SumNode& right) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(left.sum, right.sum, &sum)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the sums ", left.sum, " and ", right.sum, " overflow 64 bits"));
  }
  std::array<uint8_t, 128> preimage;
  std::memcpy(preimage.data(), left.hash.data(), 32);
  PutSum(left.sum, preimage.data() + 32);
  std::memcpy(preimage.data() + 64, right.hash.data(), 32);
  PutSum(right.sum, preimage.data() + 96);
  return SumNode{.hash = Sha256(preimage), .sum = sum};
}

absl::StatusOr<MerkleSumTree> MerkleSumTree::Build(
    absl::Span<const SumLeaf> leaves) {
  if (leaves.empty()) {
    return absl::InvalidArgumentError("a Merkle sum tree needs a leaf");
  }
  MerkleSumTree tree;
  tree.leaf_count_ = leaves.size();
  std::vector<SumNode>& bottom = tree.levels_.emplace_back();
  bottom.reserve(leaves.size() + 1);
  for (const SumLeaf& leaf : leaves) bottom.push_back(LeafNode(leaf));
  while (tree.levels_.back().size() > 1) {
    std::vector<SumNode>& below = tree.levels_.back();
    if (below.size() % 2 == 1) below.emplace_back();
    std::vector<SumNode> level;
    level.reserve(below.size() / 2 + 1);
    for (size_t i = 0; i < below.size(); i += 2) {
      absl::StatusOr<SumNode> parent = ParentNode(below[i], below[i + 1]);
      if (!parent.ok()) return parent.status();
      level.push_back(*parent);
    }
    tree.levels_.push_back(std::move(level));
  }
  return tree;
}

std::vector<ProofStep> MerkleSumTree::PathOf(size_t index) const {
  std::vector<ProofStep> path;
  path.reserve(levels_.size() - 1);
  for (size_t level = 0; level + 1 < levels_.size(); ++level, index /= 2) {
    const bool right_child = index % 2 == 1;
    path.push_back(
        {.sibling = levels_[level][right_child ? index - 1 : index + 1],
         .sibling_is_left = right_child});
  }
  return path;
}

absl::Status VerifyInclusion(const InclusionProof& proof, const SumNode& root) {
  SumNode node = LeafNode(
      {.account = proof.account, .salt = proof.salt, .balance = proof.balance});
  for (size_t i = 0; i < proof.path.size(); ++i) {
    const ProofStep& step = proof.path[i];
    absl::StatusOr<SumNode> parent = step.sibling_is_left
                                         ? ParentNode(step.sibling, node)
                                         : ParentNode(node, step.sibling);
    if (!parent.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "step ", i + 1, " of the path: ", parent.status().message()));
    }
    node = *parent;
  }
  if (node.hash != root.hash) {
    return absl::FailedPreconditionError(
        "the path does not lead to the root: the hashes differ");
  }
  if (node.sum != root.sum) {
    return absl::FailedPreconditionError(
        absl::StrCat("the path leads to the root's hash with the sum ",
                     node.sum, ", not the root's ", root.sum));
  }
  return absl::OkStatus();
}

}  // namespace chainsync::crypto
