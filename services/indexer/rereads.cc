#include "services/indexer/rereads.h"

namespace chainsync::indexer {
namespace {

constexpr PgStatement kRequest = {
    "indexer_reread_request",
    "INSERT INTO indexer.reread_requests (chain_id, from_block, reason) "
    "VALUES ($1, $2, $3) ON CONFLICT (chain_id) WHERE done_at IS NULL DO "
    "UPDATE SET from_block = least(reread_requests.from_block, "
    "excluded.from_block), reason = reread_requests.reason || '; ' || "
    "excluded.reason RETURNING id, from_block, reason"};
constexpr PgStatement kPending = {
    "indexer_reread_pending",
    "SELECT id, from_block, reason FROM indexer.reread_requests WHERE "
    "chain_id = $1 AND done_at IS NULL"};
constexpr PgStatement kDone = {
    "indexer_reread_done",
    "UPDATE indexer.reread_requests SET done_at = now(), rolled_back_to = $2, "
    "events_removed = $3 WHERE id = $1"};

absl::StatusOr<Reread> RereadOf(const PgResult& rows) {
  absl::StatusOr<int64_t> id = rows.GetInt64(0, 0);
  if (!id.ok()) return id.status();
  absl::StatusOr<int64_t> from = rows.GetInt64(0, 1);
  if (!from.ok()) return from.status();
  return Reread{.id = *id,
                .from_block = static_cast<uint64_t>(*from),
                .reason = std::string(rows.Get(0, 2))};
}

}  // namespace

absl::StatusOr<Reread> RereadQueue::Request(uint64_t chain_id,
                                            uint64_t from_block,
                                            absl::string_view reason) {
  absl::StatusOr<PgResult> rows = pool_.Exec(
      kRequest, PgParams().Add(chain_id).Add(from_block).Add(reason));
  if (!rows.ok()) return rows.status();
  return RereadOf(*rows);
}

absl::StatusOr<std::optional<Reread>> RereadQueue::Pending(uint64_t chain_id) {
  absl::StatusOr<PgResult> rows =
      pool_.Exec(kPending, PgParams().Add(chain_id));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::nullopt;
  absl::StatusOr<Reread> pending = RereadOf(*rows);
  if (!pending.ok()) return pending.status();
  return *std::move(pending);
}

absl::Status RereadQueue::Done(const Reread& request, uint64_t rolled_back_to,
                               int64_t events_removed) {
  return pool_
      .Exec(kDone,
            PgParams().Add(request.id).Add(rolled_back_to).Add(events_removed))
      .status();
}

}  // namespace chainsync::indexer
