#include "services/reconciler/proof_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/postgres/binary_copy.h"
#include "libs/evm/bytes.h"

namespace chainsync::reconciler {
namespace {

constexpr size_t kNodeBytes = 40;

// Pack lays a level's nodes end to end: hash, then the sum big-endian.
std::string Pack(const std::vector<crypto::SumNode>& nodes) {
  std::string packed;
  packed.reserve(nodes.size() * kNodeBytes);
  for (const crypto::SumNode& node : nodes) {
    packed.append(reinterpret_cast<const char*>(node.hash.data()), 32);
    for (int shift = 56; shift >= 0; shift -= 8) {
      packed.push_back(static_cast<char>(node.sum >> shift));
    }
  }
  return packed;
}

absl::StatusOr<crypto::SumNode> Unpack(absl::string_view hex) {
  absl::StatusOr<std::array<uint8_t, kNodeBytes>> bytes =
      evm::FixedFromHex<kNodeBytes>(hex, "a stored proof node");
  if (!bytes.ok()) return absl::DataLossError(bytes.status().message());
  crypto::SumNode node;
  std::copy(bytes->begin(), bytes->begin() + 32, node.hash.begin());
  for (size_t i = 32; i < kNodeBytes; ++i)
    node.sum = (node.sum << 8) | (*bytes)[i];
  return node;
}

absl::Span<const uint8_t> BytesOf(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

uint64_t Unsigned(absl::string_view text) {
  uint64_t value = 0;
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

constexpr char kProofColumns[] =
    "SELECT id, (extract(epoch FROM made_at) * 1000000)::bigint, "
    "block_number, bitcoin_tip, reserves_sats::text, liabilities_sats::text, "
    "account_count, encode(root_hash, 'hex'), root_sum::text, "
    "encode(published_tx, 'hex'), published_block, "
    "encode(published_contract, 'hex') FROM "
    "reconciler.reserve_proofs";

// One reads the proof kProofColumns selected, if any.
absl::StatusOr<std::optional<ReserveProof>> One(absl::StatusOr<PgResult> rows) {
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::nullopt;
  ReserveProof proof;
  proof.id = *rows->GetInt64(0, 0);
  proof.made = absl::FromUnixMicros(*rows->GetInt64(0, 1));
  proof.block = static_cast<uint64_t>(*rows->GetInt64(0, 2));
  proof.bitcoin_tip = static_cast<uint64_t>(*rows->GetInt64(0, 3));
  proof.reserves_sats = Unsigned(rows->Get(0, 4));
  proof.liabilities_sats = Unsigned(rows->Get(0, 5));
  proof.account_count = static_cast<uint64_t>(*rows->GetInt64(0, 6));
  absl::StatusOr<crypto::Digest32> hash =
      evm::FixedFromHex<32>(rows->Get(0, 7), "a stored root");
  if (!hash.ok()) return absl::DataLossError(hash.status().message());
  proof.root.hash = *hash;
  proof.root.sum = Unsigned(rows->Get(0, 8));
  if (!rows->IsNull(0, 9)) {
    absl::StatusOr<evm::Hash> transaction =
        evm::FixedFromHex<32>(rows->Get(0, 9), "a stored publication");
    if (!transaction.ok()) {
      return absl::DataLossError(transaction.status().message());
    }
    absl::StatusOr<evm::Address> contract =
        evm::Address::Parse(absl::StrCat("0x", rows->Get(0, 11)));
    if (!contract.ok()) return absl::DataLossError(contract.status().message());
    proof.publication = Publication{
        .contract = *contract,
        .transaction = *transaction,
        .block = static_cast<uint64_t>(rows->GetInt64(0, 10).value_or(0))};
  }
  return proof;
}

}  // namespace

absl::StatusOr<int64_t> ProofStore::Save(
    const ReserveProof& proof, const crypto::MerkleSumTree& tree,
    absl::Span<const crypto::SumLeaf> leaves) {
  int64_t id = 0;
  absl::Status saved = pool_.InTransaction([&](PgConnection& connection)
                                               -> absl::Status {
    absl::StatusOr<PgResult> inserted = connection.Exec(
        "INSERT INTO reconciler.reserve_proofs (made_at, block_number, "
        "bitcoin_tip, reserves_sats, liabilities_sats, account_count, "
        "root_hash, root_sum, levels) VALUES ('epoch'::timestamptz + "
        "interval '1 microsecond' * $1::bigint, $2, $3, $4, $5, $6, "
        "decode($7, 'hex'), $8, $9) RETURNING id",
        PgParams()
            .Add(absl::ToUnixMicros(proof.made))
            .Add(proof.block)
            .Add(proof.bitcoin_tip)
            .Add(proof.reserves_sats)
            .Add(proof.liabilities_sats)
            .Add(static_cast<uint64_t>(leaves.size()))
            .Add(absl::BytesToHexString(absl::string_view(
                reinterpret_cast<const char*>(tree.root().hash.data()), 32)))
            .Add(tree.root().sum)
            .Add(static_cast<int64_t>(tree.levels().size())));
    if (!inserted.ok()) return inserted.status();
    id = *inserted->GetInt64(0, 0);
    PgBinaryCopy levels;
    for (size_t level = 0; level < tree.levels().size(); ++level) {
      const std::string packed = Pack(tree.levels()[level]);
      levels.Row(3)
          .Int8(id)
          .Int4(static_cast<int32_t>(level))
          .Bytea(BytesOf(packed));
    }
    absl::StatusOr<int64_t> copied = connection.CopyFrom(
        "COPY reconciler.reserve_proof_levels (proof_id, level, nodes) FROM "
        "STDIN (FORMAT binary)",
        std::move(levels).Finish());
    if (!copied.ok()) return copied.status();
    PgBinaryCopy rows;
    for (size_t i = 0; i < leaves.size(); ++i) {
      rows.Row(4)
          .Int8(id)
          .Bytea(leaves[i].account)
          .Int8(static_cast<int64_t>(i))
          .Bytea(leaves[i].salt);
    }
    copied = connection.CopyFrom(
        "COPY reconciler.reserve_proof_leaves (proof_id, account, position, "
        "salt) FROM STDIN (FORMAT binary)",
        std::move(rows).Finish());
    return copied.status();
  });
  if (!saved.ok()) return saved;
  return id;
}

absl::StatusOr<std::optional<ReserveProof>> ProofStore::Latest() {
  return One(
      pool_.Exec(absl::StrCat(kProofColumns, " ORDER BY id DESC LIMIT 1")));
}

absl::StatusOr<std::optional<ReserveProof>> ProofStore::Get(int64_t id) {
  return One(pool_.Exec(absl::StrCat(kProofColumns, " WHERE id = $1"),
                        PgParams().Add(id)));
}

absl::StatusOr<crypto::InclusionProof> ProofStore::InclusionOf(
    int64_t proof_id, const crypto::AccountId& account) {
  const std::string hex = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(account.data()), account.size()));
  absl::StatusOr<PgResult> leaf = pool_.Exec(
      "SELECT position, encode(salt, 'hex') FROM "
      "reconciler.reserve_proof_leaves WHERE proof_id = $1 AND account = "
      "decode($2, 'hex')",
      PgParams().Add(proof_id).Add(hex));
  if (!leaf.ok()) return leaf.status();
  if (leaf->rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("0x", hex, " is not in proof ", proof_id));
  }
  const int64_t position = *leaf->GetInt64(0, 0);
  crypto::InclusionProof proof{.account = account};
  absl::StatusOr<crypto::Digest32> salt =
      evm::FixedFromHex<32>(leaf->Get(0, 1), "a stored salt");
  if (!salt.ok()) return absl::DataLossError(salt.status().message());
  proof.salt = *salt;
  // The leaf, then each level's sibling of the path's node: 40 bytes of a
  // level each, read in place.
  absl::StatusOr<PgResult> own = pool_.Exec(
      "SELECT encode(substring(nodes FROM ($2 * 40 + 1)::int FOR 40), 'hex') "
      "FROM reconciler.reserve_proof_levels WHERE proof_id = $1 AND level = 0",
      PgParams().Add(proof_id).Add(position));
  if (!own.ok()) return own.status();
  if (own->rows() != 1) return absl::DataLossError("a proof without leaves");
  absl::StatusOr<crypto::SumNode> leaf_node = Unpack(own->Get(0, 0));
  if (!leaf_node.ok()) return leaf_node.status();
  proof.balance = leaf_node->sum;
  absl::StatusOr<PgResult> nodes = pool_.Exec(
      "SELECT level, encode(substring(nodes FROM ((($2::bigint >> level) # "
      "1) * 40 + 1)::int FOR 40), 'hex') FROM "
      "reconciler.reserve_proof_levels WHERE proof_id = $1 AND level < "
      "(SELECT levels - 1 FROM reconciler.reserve_proofs WHERE id = $1) "
      "ORDER BY level",
      PgParams().Add(proof_id).Add(position));
  if (!nodes.ok()) return nodes.status();
  for (int row = 0; row < nodes->rows(); ++row) {
    const int64_t level = *nodes->GetInt64(row, 0);
    absl::StatusOr<crypto::SumNode> sibling = Unpack(nodes->Get(row, 1));
    if (!sibling.ok()) return sibling.status();
    proof.path.push_back({.sibling = *sibling,
                          .sibling_is_left = ((position >> level) & 1) == 1});
  }
  return proof;
}

absl::Status ProofStore::Published(int64_t id, const Publication& publication) {
  return pool_
      .Exec(
          "UPDATE reconciler.reserve_proofs SET published_tx = "
          "decode($2, 'hex'), published_block = $3, published_contract = "
          "decode($4, 'hex') WHERE id = $1",
          PgParams()
              .Add(id)
              .Add(evm::ToHex(publication.transaction).substr(2))
              .Add(publication.block)
              .Add(publication.contract.ToLowerHex().substr(2)))
      .status();
}

}  // namespace chainsync::reconciler
