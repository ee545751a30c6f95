// The proof of reserves' Merkle sum tree at scale: building it over 2^20
// accounts, every account's path taken out of it, one path verified, as an
// account's chainsync-verify-proof does, and the proof stored in Postgres
// (every level and leaf) with accounts' paths read back — on a cluster of
// Postgres's stock settings, then of the development ones. Prints each
// figure.
//
//   build/bench/merkle_sum_tree [--accounts=1048576]
#include "libs/crypto/merkle_sum_tree.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "bench/bench_main.h"
#include "libs/common/postgres/migrations.h"
#include "reconciler_migrations.h"
#include "services/reconciler/proof_store.h"
#include "tests/support/test_env.h"

ABSL_FLAG(int32_t, accounts, 1 << 20, "Accounts in the tree.");
ABSL_FLAG(int32_t, verifications, 100'000, "Paths verified, for the mean.");

namespace chainsync::bench {

namespace {

// Store stores the proof on a private cluster of `settings` and reads 1,000
// random accounts' paths back, printing the times; false when it cannot.
bool Store(const crypto::MerkleSumTree& tree,
           const std::vector<crypto::SumLeaf>& leaves,
           testing::PrivateEnvironment::Settings settings) {
  testing::PrivateEnvironment environment(settings);
  auto pool = PgPool::Create({.connect = {.url = environment.database_url()}});
  if (!pool.ok()) return false;
  {
    auto connection = (*pool)->Acquire();
    if (!connection.ok() || !ApplyMigrations(**connection, "reconciler",
                                             reconciler::ReconcilerMigrations())
                                 .ok()) {
      std::fprintf(stderr, "migrations failed\n");
      return false;
    }
  }
  reconciler::ProofStore store(**pool);
  absl::Time start = absl::Now();
  const absl::StatusOr<int64_t> id =
      store.Save({.made = absl::Now(),
                  .liabilities_sats = tree.root().sum,
                  .account_count = leaves.size(),
                  .root = tree.root()},
                 tree, leaves);
  if (!id.ok()) {
    std::fprintf(stderr, "%s\n", id.status().ToString().c_str());
    return false;
  }
  std::printf("  every level and leaf stored: %.3f s\n",
              absl::ToDoubleSeconds(absl::Now() - start));
  constexpr int kReads = 1000;
  std::mt19937_64 random(2);
  int failed = 0;
  start = absl::Now();
  for (int i = 0; i < kReads; ++i) {
    const absl::StatusOr<crypto::InclusionProof> read =
        store.InclusionOf(*id, leaves[random() % leaves.size()].account);
    if (!read.ok() || !crypto::VerifyInclusion(*read, tree.root()).ok()) {
      ++failed;
    }
  }
  std::printf(
      "  one account's path read from Postgres and verified: %.2f ms (mean "
      "of %d), %d failed\n",
      absl::ToDoubleMilliseconds(absl::Now() - start) / kReads, kReads, failed);
  return true;
}

}  // namespace

void Run() {
  const int accounts = absl::GetFlag(FLAGS_accounts);
  std::mt19937_64 random(1);
  std::vector<crypto::SumLeaf> leaves(accounts);
  for (crypto::SumLeaf& leaf : leaves) {
    for (uint8_t& byte : leaf.account) byte = static_cast<uint8_t>(random());
    for (uint8_t& byte : leaf.salt) byte = static_cast<uint8_t>(random());
    // Up to 1,000 BTC each, in satoshis.
    leaf.balance = random() % 100'000'000'000;
  }
  // In account order, as a run's accounts come: the leaves' index then
  // grows at its end.
  std::sort(leaves.begin(), leaves.end(),
            [](const crypto::SumLeaf& a, const crypto::SumLeaf& b) {
              return a.account < b.account;
            });

  absl::Time start = absl::Now();
  const absl::StatusOr<crypto::MerkleSumTree> tree =
      crypto::MerkleSumTree::Build(leaves);
  const absl::Duration build = absl::Now() - start;
  if (!tree.ok()) {
    std::fprintf(stderr, "%s\n", tree.status().ToString().c_str());
    return;
  }
  std::printf("tree over %d accounts: %.3f s (%zu levels, total %llu sats)\n",
              accounts, absl::ToDoubleSeconds(build), tree->levels().size(),
              static_cast<unsigned long long>(tree->root().sum));

  start = absl::Now();
  size_t steps = 0;
  for (int i = 0; i < accounts; ++i) steps += tree->PathOf(i).size();
  std::printf("every account's path: %.3f s (%zu steps)\n",
              absl::ToDoubleSeconds(absl::Now() - start), steps);

  const int verifications = absl::GetFlag(FLAGS_verifications);
  std::vector<crypto::InclusionProof> proofs;
  proofs.reserve(verifications);
  for (int i = 0; i < verifications; ++i) {
    const size_t index = random() % accounts;
    proofs.push_back({.account = leaves[index].account,
                      .salt = leaves[index].salt,
                      .balance = leaves[index].balance,
                      .path = tree->PathOf(index)});
  }
  int failed = 0;
  start = absl::Now();
  for (const crypto::InclusionProof& proof : proofs) {
    if (!crypto::VerifyInclusion(proof, tree->root()).ok()) ++failed;
  }
  const absl::Duration verify = absl::Now() - start;
  std::printf("one path verified: %.2f us (mean of %d), %d failed\n",
              absl::ToDoubleMicroseconds(verify) / verifications, verifications,
              failed);

  // Stored on a private cluster of Postgres's stock settings, as a user's
  // database runs, then on one of the development settings.
  for (const auto& [name, settings] :
       {std::pair{"stock", testing::PrivateEnvironment::Settings::kStock},
        std::pair{"development",
                  testing::PrivateEnvironment::Settings::kDevelopment}}) {
    std::printf("Postgres with the %s settings:\n", name);
    if (!Store(*tree, leaves, settings)) return;
  }
}

}  // namespace chainsync::bench
