// chainsync-verify-proof as an account runs it: the proof JSON the API
// serves, checked against the published root.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "libs/evm/bytes.h"
#include "services/reconciler/proof_messages.h"
#include "tests/tools/verify-proof/verify_proof_run.h"

namespace chainsync::reconciler {
namespace {

// A tree of three accounts and the second one's proof, as the API's JSON.
struct Published {
  crypto::SumNode root;
  v1::InclusionProof proof;

  Published() {
    std::vector<crypto::SumLeaf> leaves(3);
    for (uint8_t i = 0; i < 3; ++i) {
      leaves[i].account.fill(static_cast<uint8_t>(0x10 + i));
      leaves[i].salt.fill(static_cast<uint8_t>(0x70 + i));
      leaves[i].balance = 1'000 * (i + 1);
    }
    const auto tree = crypto::MerkleSumTree::Build(leaves);
    REQUIRE(tree.ok());
    root = tree->root();
    proof = ProofMessage("7",
                         {.account = leaves[1].account,
                          .salt = leaves[1].salt,
                          .balance = leaves[1].balance,
                          .path = tree->PathOf(1)},
                         root);
  }

  std::string Json() const {
    std::string json;
    REQUIRE(google::protobuf::util::MessageToJsonString(proof, &json).ok());
    return json;
  }
  std::string RootFlags() const {
    return absl::StrCat("--root=", evm::ToHex(root.hash), " --sum=", root.sum);
  }
};

TEST_CASE("a proof as served verifies against the published root",
          "[verify-proof]") {
  const Published published;
  const Outcome outcome = Verify(published.Json(), published.RootFlags());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find(
            "verified: 0x1111111111111111111111111111111111111111 "
            "holds 2000 sats in proof 7") == 0);
  // Without a published root it says what it trusted.
  CHECK(Verify(published.Json()).output.find("the proof's own root") !=
        std::string::npos);
}

TEST_CASE("a tampered proof or another root is not verified",
          "[verify-proof]") {
  Published published;
  const std::string flags = published.RootFlags();
  SECTION("the balance raised") {
    // The leaf's hash does not hold its sum; its parent's does.
    published.proof.mutable_leaf()->set_sum("2001");
  }
  SECTION("a sibling's sum cut") {
    published.proof.mutable_path(0)->mutable_sibling()->set_sum("999");
  }
  SECTION("a sibling's hash changed") {
    std::string hash = published.proof.path(1).sibling().hash();
    hash[5] = hash[5] == 'a' ? 'b' : 'a';
    published.proof.mutable_path(1)->mutable_sibling()->set_hash(hash);
  }
  SECTION("a proof naming another root than the published one") {
    published.proof.mutable_root()->set_sum("1");
  }
  const Outcome outcome = Verify(published.Json(), flags);
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.output.find("NOT VERIFIED") == 0);
}

TEST_CASE("a salt that does not make the leaf is refused, naming it",
          "[verify-proof]") {
  Published published;
  std::string salt = published.proof.salt();
  salt[3] = salt[3] == '7' ? '8' : '7';
  published.proof.set_salt(salt);
  const Outcome outcome = Verify(published.Json(), published.RootFlags());
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output ==
        "the proof: leaf.hash: not sha256(salt || address) of this proof's "
        "salt and address\n");
}

TEST_CASE("unreadable input says what is wrong", "[verify-proof]") {
  Published published;
  CHECK(Verify("{not json").exit_code == 2);
  published.proof.mutable_path(0)->mutable_sibling()->set_sum("-5");
  Outcome outcome = Verify(published.Json());
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output ==
        "the proof: path[0].sibling.sum: a sum is a non-negative decimal "
        "number, got \"-5\"\n");
  published = Published();
  published.proof.mutable_path(0)->set_side(v1::SIDE_UNSPECIFIED);
  outcome = Verify(published.Json());
  CHECK(outcome.output == "the proof: path[0].side: SIDE_LEFT or SIDE_RIGHT\n");
  outcome = Verify(Published().Json(), "--root=0x1234");
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output == "--root: expected 32 bytes of hex, got 2\n");
  outcome = Verify(Published().Json(), "--sum=-6000");
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output ==
        "--sum: a sum is a non-negative decimal number, got \"-6000\"\n");
}

}  // namespace
}  // namespace chainsync::reconciler
