// The Merkle sum tree of proof of reserves: the layout vectors.json gives,
// every account's path verifies, and any change to a proof is caught.
#include "libs/crypto/merkle_sum_tree.h"

#include <catch2/catch.hpp>
#include <string>

namespace chainsync::crypto {
namespace {

std::string Hex(const Digest32& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const uint8_t byte : digest) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

// Five accounts: an odd level to pad, a zero and a 21-million-BTC balance.
std::vector<SumLeaf> FiveLeaves() {
  std::vector<SumLeaf> leaves;
  const uint64_t balances[] = {100'000, 250'000, 1, 0, 2'100'000'000'000'000};
  for (uint8_t i = 0; i < 5; ++i) {
    SumLeaf& leaf = leaves.emplace_back();
    leaf.salt.fill(static_cast<uint8_t>(i + 1));
    leaf.account.fill(static_cast<uint8_t>(0xa0 + i));
    leaf.balance = balances[i];
  }
  return leaves;
}

InclusionProof ProofOf(const MerkleSumTree& tree,
                       const std::vector<SumLeaf>& leaves, size_t index) {
  return {.account = leaves[index].account,
          .salt = leaves[index].salt,
          .balance = leaves[index].balance,
          .path = tree.PathOf(index)};
}

TEST_CASE("the tree commits both children's sums, as vectors.json lays out",
          "[crypto]") {
  const std::vector<SumLeaf> leaves = FiveLeaves();
  const auto tree = MerkleSumTree::Build(leaves);
  REQUIRE(tree.ok());
  // Computed apart from this code, with Python's hashlib from the layout:
  // leaf sha256(salt || account); parent sha256(L.hash || be32(L.sum) ||
  // R.hash || be32(R.sum)); odd levels padded with (32 zero bytes, 0).
  CHECK(Hex(LeafNode(leaves[0]).hash) ==
        "8cbe382f38a2fdf8a77a2c5fafd46e8f87c01b6e331b0feb29a7ec01d9617a85");
  CHECK(Hex(tree->root().hash) ==
        "903498442b8efccc7eb2162990935645037fd5635a7627e4b3dc62997f07d6c3");
  CHECK(tree->root().sum == 2'100'000'000'350'001);
  CHECK(tree->leaf_count() == 5);
  // 5 leaves padded to 6, then 3 padded to 4, 2, 1.
  CHECK(tree->levels().size() == 4);
}

TEST_CASE("every account's path leads to the root", "[crypto]") {
  const std::vector<SumLeaf> leaves = FiveLeaves();
  const auto tree = MerkleSumTree::Build(leaves);
  REQUIRE(tree.ok());
  for (size_t i = 0; i < leaves.size(); ++i) {
    INFO("leaf " << i);
    const InclusionProof proof = ProofOf(*tree, leaves, i);
    CHECK(proof.path.size() == 3);
    CHECK(VerifyInclusion(proof, tree->root()).ok());
  }
  // The last leaf's first sibling is the padding.
  CHECK(tree->PathOf(4).front().sibling == SumNode{});
  // One account alone is its own root.
  const auto single = MerkleSumTree::Build({leaves[1]});
  REQUIRE(single.ok());
  CHECK(single->root() == LeafNode(leaves[1]));
  CHECK(VerifyInclusion(ProofOf(*single, leaves, 1), single->root()).ok());
}

TEST_CASE("a proof with anything changed fails", "[crypto]") {
  const std::vector<SumLeaf> leaves = FiveLeaves();
  const auto tree = MerkleSumTree::Build(leaves);
  REQUIRE(tree.ok());
  const InclusionProof good = ProofOf(*tree, leaves, 2);
  REQUIRE(VerifyInclusion(good, tree->root()).ok());

  InclusionProof proof = good;
  ++proof.balance;
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  proof = good;
  proof.salt[0] ^= 1;
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  proof = good;
  proof.account[19] ^= 1;
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  // A sibling whose sum is cut: liabilities hidden from the total.
  proof = good;
  proof.path[1].sibling.sum -= 1;
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  proof = good;
  proof.path[0].sibling.hash[5] ^= 1;
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  proof = good;
  proof.path[0].sibling_is_left = !proof.path[0].sibling_is_left;
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  proof = good;
  proof.path.pop_back();
  CHECK_FALSE(VerifyInclusion(proof, tree->root()).ok());
  // The right hash with another sum is not the published root.
  SumNode root = tree->root();
  ++root.sum;
  const absl::Status other_sum = VerifyInclusion(good, root);
  CHECK(other_sum.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(other_sum.message() ==
        "the path leads to the root's hash with the sum 2100000000350001, "
        "not the root's 2100000000350002");
}

TEST_CASE("sums that overflow are refused, in the tree and in a proof",
          "[crypto]") {
  std::vector<SumLeaf> leaves = FiveLeaves();
  leaves[3].balance = UINT64_MAX;
  const auto tree = MerkleSumTree::Build(leaves);
  REQUIRE_FALSE(tree.ok());
  CHECK(tree.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(MerkleSumTree::Build({}).status().code() ==
        absl::StatusCode::kInvalidArgument);

  // A sibling sum chosen to wrap the total round to a small number.
  const std::vector<SumLeaf> five = FiveLeaves();
  const auto honest = MerkleSumTree::Build(five);
  REQUIRE(honest.ok());
  InclusionProof proof = ProofOf(*honest, five, 0);
  proof.path[0].sibling.sum = UINT64_MAX;
  const absl::Status wrapped = VerifyInclusion(proof, honest->root());
  CHECK(wrapped.code() == absl::StatusCode::kInvalidArgument);
  CHECK(wrapped.message() ==
        "step 1 of the path: the sums 100000 and 18446744073709551615 "
        "overflow 64 bits");
}

}  // namespace
}  // namespace chainsync::crypto
