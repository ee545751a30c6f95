// Proofs of reserves stored and read back: every account's path read from
// Postgres verifies against the stored root; an account not in the proof
// is NOT_FOUND.
#include "services/reconciler/proof_store.h"

#include <catch2/catch.hpp>

#include "libs/common/postgres/migrations.h"
#include "reconciler_migrations.h"
#include "tests/support/test_env.h"

namespace chainsync::reconciler {
namespace {

TEST_CASE("every account's stored path verifies against the stored root",
          "[reconciler][store]") {
  testing::ScopedDatabase database;
  auto pool = PgPool::Create({.connect = {.url = database.url()}});
  REQUIRE(pool.ok());
  {
    auto connection = (*pool)->Acquire();
    REQUIRE(connection.ok());
    REQUIRE(ApplyMigrations(**connection, "reconciler", ReconcilerMigrations())
                .ok());
  }
  ProofStore store(**pool);
  CHECK_FALSE(store.Latest()->has_value());
  // 37 accounts: odd levels to pad on the way up.
  std::vector<crypto::SumLeaf> leaves(37);
  for (size_t i = 0; i < leaves.size(); ++i) {
    leaves[i].account.fill(static_cast<uint8_t>(i + 1));
    leaves[i].salt.fill(static_cast<uint8_t>(0x80 + i));
    leaves[i].balance = 1'000 * (i + 1);
  }
  const auto tree = crypto::MerkleSumTree::Build(leaves);
  REQUIRE(tree.ok());
  const ReserveProof made{.made = absl::FromUnixSeconds(1'800'000'000),
                          .block = 42,
                          .bitcoin_tip = 800'000,
                          .reserves_sats = 703'000,
                          .liabilities_sats = tree->root().sum,
                          .account_count = leaves.size(),
                          .root = tree->root()};
  const auto id = store.Save(made, *tree, leaves);
  REQUIRE(id.ok());
  const auto latest = store.Latest();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->id == *id);
  CHECK((*latest)->root == tree->root());
  CHECK((*latest)->reserves_sats == 703'000);
  CHECK((*latest)->block == 42);
  for (size_t i = 0; i < leaves.size(); ++i) {
    INFO("account " << i);
    const auto proof = store.InclusionOf(*id, leaves[i].account);
    REQUIRE(proof.ok());
    CHECK(proof->balance == leaves[i].balance);
    CHECK(proof->path == tree->PathOf(i));
    CHECK(crypto::VerifyInclusion(*proof, (*latest)->root).ok());
  }
  crypto::AccountId stranger{};
  stranger.fill(0xee);
  CHECK(store.InclusionOf(*id, stranger).status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace chainsync::reconciler
