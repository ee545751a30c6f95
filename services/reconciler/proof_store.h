#pragma once

// ProofStore keeps the proofs of reserves: totals and root, the Merkle sum
// tree level by level, and each account's leaf, from which an account's
// path is read back.

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "libs/common/postgres/pool.h"
#include "libs/crypto/merkle_sum_tree.h"
#include "libs/evm/address.h"
#include "libs/evm/bytes.h"

namespace chainsync::reconciler {

// Where a proof's root was published on chain.
struct Publication {
  evm::Address contract;
  evm::Hash transaction{};
  uint64_t block = 0;
};

struct ReserveProof {
  int64_t id = 0;
  absl::Time made;
  uint64_t block = 0;
  uint64_t bitcoin_tip = 0;
  uint64_t reserves_sats = 0;
  uint64_t liabilities_sats = 0;
  uint64_t account_count = 0;
  crypto::SumNode root;
  std::optional<Publication> publication;
};

class ProofStore {
 public:
  explicit ProofStore(PgPool& pool) : pool_(pool) {}

  // Save stores `proof` with `tree`, built over `leaves` in their order,
  // all at once; it returns the proof's id. Leaves in account order store
  // fastest: the leaves' index then grows at its end.
  absl::StatusOr<int64_t> Save(const ReserveProof& proof,
                               const crypto::MerkleSumTree& tree,
                               absl::Span<const crypto::SumLeaf> leaves);

  // Latest is the newest proof, if there is one; Get the proof `id`.
  absl::StatusOr<std::optional<ReserveProof>> Latest();
  absl::StatusOr<std::optional<ReserveProof>> Get(int64_t id);

  // Published records where proof `id`'s root was published.
  absl::Status Published(int64_t id, const Publication& publication);

  // InclusionOf reads `account`'s leaf and path in proof `proof_id`;
  // NOT_FOUND when the account is not in it.
  absl::StatusOr<crypto::InclusionProof> InclusionOf(
      int64_t proof_id, const crypto::AccountId& account);

 private:
  PgPool& pool_;
};

}  // namespace chainsync::reconciler
