#include "services/indexer/chain_store.h"

#include <array>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/common/postgres/binary_copy.h"

namespace chainsync::indexer {
namespace {

constexpr PgStatement kLoadCursor = {
    "indexer_load_cursor",
    "SELECT indexed_block, encode(indexed_hash, 'hex') FROM indexer.chains "
    "WHERE chain_id = $1"};
constexpr PgStatement kLockCursor = {
    "indexer_lock_cursor",
    "SELECT indexed_block, encode(indexed_hash, 'hex') FROM indexer.chains "
    "WHERE chain_id = $1 FOR UPDATE"};
// How many balances the store keeps in memory, about 100 bytes each; past
// it, only the last batch's.
constexpr size_t kKnownBalancesLimit = 500'000;
constexpr PgStatement kSaveCursor = {
    "indexer_save_cursor",
    "INSERT INTO indexer.chains (chain_id, indexed_block, indexed_hash, "
    "updated_at) "
    "VALUES ($1, $2, decode($3, 'hex'), now()) ON CONFLICT (chain_id) DO "
    "UPDATE SET "
    "indexed_block = EXCLUDED.indexed_block, indexed_hash = "
    "EXCLUDED.indexed_hash, "
    "updated_at = now()"};
// The cursor ($1's row, i = NULL) and the stored balances among the (token,
// holder) pairs $2, $3 (hex), by their index i in those arrays: one
// statement, so that the balances are those at that cursor.
constexpr PgStatement kReadStart = {
    "indexer_read_start",
    "SELECT NULL::bigint, NULL, indexed_block, encode(indexed_hash, 'hex') "
    "FROM indexer.chains WHERE chain_id = $1 "
    "UNION ALL "
    "SELECT k.i, b.balance::text, NULL, NULL FROM indexer.token_balances b "
    "JOIN unnest($2::text[], $3::text[]) WITH ORDINALITY AS k(token, holder, "
    "i) ON b.token = decode(k.token, 'hex') AND b.holder = decode(k.holder, "
    "'hex') WHERE b.chain_id = $1"};
// Balances the batch changes that were stored before it; new ones are
// copied in.
constexpr PgStatement kUpdateBalances = {
    "indexer_update_balances",
    "UPDATE indexer.token_balances b SET balance = k.b::numeric, "
    "last_change_block = k.n "
    "FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS k(t, h, "
    "b, n) "
    "WHERE b.chain_id = $1 AND b.token = decode(k.t, 'hex') AND b.holder = "
    "decode(k.h, 'hex')"};
// A rollback withdraws every event above the ancestor: each keeps its
// sequence and gets a removal sequence, in chain order.
constexpr PgStatement kPublishRemovals = {
    "indexer_publish_removals",
    "INSERT INTO indexer.removed_events (sequence, chain_id, block_number, "
    "log_index, block_hash, transaction_hash, transaction_index, "
    "contract_address, contract_name, event_name, signature, args, accounts, "
    "decode_error, block_time) "
    "SELECT sequence, chain_id, block_number, log_index, block_hash, "
    "transaction_hash, transaction_index, contract_address, contract_name, "
    "event_name, signature, args, accounts, decode_error, block_time "
    "FROM indexer.events WHERE chain_id = $1 AND block_number > $2 "
    "ORDER BY block_number, log_index"};

// Stream rows are published under one lock for every chain, so that they
// commit in sequence order and a reader that has seen sequence N never
// finds a smaller one later; the NOTIFY wakes readers at commit.
constexpr PgStatement kLockStream = {
    "indexer_lock_stream",
    "SELECT "
    "pg_advisory_xact_lock(hashtext('chainsync.indexer.stream')::bigint), "
    "pg_notify('chainsync_indexer_stream', '')"};

constexpr PgStatement kRegisterContract = {
    "indexer_register_contract",
    "INSERT INTO indexer.contracts (chain_id, address, name, start_block, abi, "
    "projections, "
    "has_code) VALUES ($1, decode($2, 'hex'), $3, $4, $5::jsonb, $6::text[], "
    "true)"};

constexpr PgStatement kStoredBlocks = {
    "indexer_stored_blocks",
    "SELECT number, encode(hash, 'hex'), encode(parent_hash, 'hex'), "
    "extract(epoch FROM block_time)::bigint FROM indexer.blocks "
    "WHERE chain_id = $1 AND number <= $2 ORDER BY number DESC LIMIT $3"};
// The rollback, in order: the (token, holder) pairs whose activity is
// undone lose their balance rows, which are rebuilt from the activity that
// remains; then the rows above the ancestor go. A step takes no parameter,
// the chain id ($1), or the chain id and the ancestor block ($2).
struct RollbackStep {
  absl::string_view sql;
  int parameters;
};
constexpr RollbackStep kRollbackSteps[] = {
    {"CREATE TEMP TABLE rolled_back (token bytea, holder bytea) ON COMMIT DROP",
     0},
    {"INSERT INTO rolled_back SELECT DISTINCT token, account FROM "
     "indexer.activity "
     "WHERE chain_id = $1 AND block_number > $2 AND balance IS NOT NULL",
     2},
    {"DELETE FROM indexer.activity WHERE chain_id = $1 AND block_number > $2",
     2},
    {"DELETE FROM indexer.token_balances t USING rolled_back r "
     "WHERE t.chain_id = $1 AND t.token = r.token AND t.holder = r.holder",
     1},
    // A transfer to oneself moves the balance out and then in: of its two
    // rows, 'in' sorts first and holds the final balance.
    {"INSERT INTO indexer.token_balances (chain_id, token, holder, balance, "
     "last_change_block) "
     "SELECT DISTINCT ON (a.token, a.account) $1, a.token, a.account, "
     "a.balance, a.block_number "
     "FROM indexer.activity a JOIN rolled_back r "
     "ON r.token = a.token AND r.holder = a.account "
     "WHERE a.chain_id = $1 AND a.balance IS NOT NULL "
     "ORDER BY a.token, a.account, a.block_number DESC, a.log_index DESC, "
     "a.direction",
     1},
    {"DELETE FROM indexer.events WHERE chain_id = $1 AND block_number > $2", 2},
    {"DELETE FROM indexer.blocks WHERE chain_id = $1 AND number > $2", 2},
};

std::string HexOf(evm::ByteSpan bytes) { return evm::ToHex(bytes).substr(2); }

int64_t Signed(uint64_t value) { return static_cast<int64_t>(value); }

void AddNumeric(PgBinaryCopy& copy, const evm::Uint256& value) {
  const auto& backend = value.backend();
  static_assert(sizeof(*backend.limbs()) == sizeof(uint64_t));
  std::array<uint64_t, 4> limbs{};
  std::memcpy(limbs.data(), backend.limbs(), backend.size() * sizeof(uint64_t));
  copy.Numeric(absl::MakeConstSpan(limbs.data(), backend.size()));
}

// BlockTimes maps the batch's block numbers to their timestamps.
absl::flat_hash_map<uint64_t, int64_t> BlockTimes(const Batch& batch) {
  absl::flat_hash_map<uint64_t, int64_t> times;
  for (const BlockRecord& block : batch.blocks)
    times[block.number] = Signed(block.timestamp);
  return times;
}

// RenderActivity renders the batch's activity rows for COPY, in chain
// order, each balance-moving row with the balance `ledger` posted after it.
std::string RenderActivity(const Batch& batch, const BatchLedger& ledger) {
  const absl::flat_hash_map<uint64_t, int64_t> block_times = BlockTimes(batch);
  const int64_t chain = Signed(batch.chain_id);
  PgBinaryCopy copy;
  for (size_t i = 0; i < batch.activity.size(); ++i) {
    const ActivityRow& row = batch.activity[i];
    copy.Row(13)
        .Int8(chain)
        .Bytea(row.account.bytes())
        .Int8(Signed(row.block_number))
        .Int4(static_cast<int32_t>(row.log_index))
        .Text(ActivityKindName(row.kind))
        .Text(DirectionName(row.direction));
    if (row.token.has_value()) {
      copy.Bytea(row.token->bytes());
    } else {
      copy.Null();
    }
    if (row.amount.has_value()) {
      AddNumeric(copy, *row.amount);
    } else {
      copy.Null();
    }
    if (row.counterparty.has_value()) {
      copy.Bytea(row.counterparty->bytes());
    } else {
      copy.Null();
    }
    copy.Bytea(row.transaction_hash)
        .Timestamptz(block_times.at(row.block_number))
        .Jsonb(row.details_json);
    if (const evm::Uint256* balance = ledger.BalanceAfter(i);
        balance != nullptr) {
      AddNumeric(copy, *balance);
    } else {
      copy.Null();
    }
  }
  return std::move(copy).Finish();
}

// CursorAt reads a cursor from a row's columns `column` (the block) and
// `column + 1` (the hash in hex, NULL for none).
absl::StatusOr<Cursor> CursorAt(const PgResult& result, int row, int column) {
  absl::StatusOr<int64_t> block = result.GetInt64(row, column);
  if (!block.ok()) return block.status();
  Cursor cursor{.indexed_block = static_cast<uint64_t>(*block)};
  if (!result.IsNull(row, column + 1)) {
    absl::StatusOr<evm::Hash> hash =
        evm::FixedFromHex<32>(result.Get(row, column + 1), "indexed_hash");
    if (!hash.ok()) return hash.status();
    cursor.indexed_hash = *hash;
  }
  return cursor;
}

// StoredCursor reads a chain's cursor from its row, the first of `result`,
// if any.
absl::StatusOr<std::optional<Cursor>> StoredCursor(const PgResult& result) {
  if (result.rows() == 0) return std::nullopt;
  return CursorAt(result, 0, 0);
}

std::string Describe(const std::optional<Cursor>& cursor) {
  return cursor.has_value() ? absl::StrCat("block ", cursor->indexed_block)
                            : "nothing indexed";
}

// The COPY of each table a batch writes. A batch's blocks and events are
// rendered ahead of it (RenderedRows), its activity when it is staged.
constexpr const char kBlocksCopy[] =
    "COPY indexer.blocks (chain_id, number, hash, parent_hash, block_time) "
    "FROM STDIN (FORMAT binary)";
constexpr const char kEventsCopy[] =
    "COPY indexer.events (chain_id, block_number, log_index, block_hash, "
    "transaction_hash, transaction_index, contract_address, topics, data, "
    "contract_name, event_name, signature, args, accounts, decode_error, "
    "block_time) FROM STDIN (FORMAT binary)";
constexpr const char kActivityCopy[] =
    "COPY indexer.activity (chain_id, account, block_number, log_index, "
    "kind, direction, token, amount, counterparty, transaction_hash, "
    "block_time, details, balance) FROM STDIN (FORMAT binary)";
// RenderedRows is the PostgresChainStore's prepared batch: its blocks and
// events as binary COPY data.
struct RenderedRows final : PreparedBatch {
  std::string blocks;
  std::string events;
};

// RenderRows renders a batch's blocks and events.
std::unique_ptr<RenderedRows> RenderRows(const Batch& batch) {
  const int64_t chain = Signed(batch.chain_id);
  PgBinaryCopy blocks;
  for (const BlockRecord& block : batch.blocks) {
    blocks.Row(5)
        .Int8(chain)
        .Int8(Signed(block.number))
        .Bytea(block.hash)
        .Bytea(block.parent_hash)
        .Timestamptz(Signed(block.timestamp));
  }
  const absl::flat_hash_map<uint64_t, int64_t> block_times = BlockTimes(batch);
  PgBinaryCopy events;
  std::vector<evm::ByteSpan> topics, accounts;
  for (const DecodedEvent& event : batch.events) {
    const evm::Log& log = event.log;
    topics.assign(log.topics.begin(), log.topics.end());
    accounts.clear();
    for (const evm::Address& account : event.accounts)
      accounts.push_back(account.bytes());
    events.Row(16)
        .Int8(chain)
        .Int8(Signed(log.block_number))
        .Int4(static_cast<int32_t>(log.log_index))
        .Bytea(log.block_hash)
        .Bytea(log.transaction_hash)
        .Int4(static_cast<int32_t>(log.transaction_index))
        .Bytea(log.address.bytes())
        .ByteaArray(topics)
        .Bytea(log.data)
        .Text(event.contract != nullptr ? event.contract->name : "");
    if (event.event != nullptr) {
      events.Text(event.event->name())
          .Text(event.event->signature())
          .Jsonb(event.args_json);
    } else {
      events.Null().Null().Null();
    }
    events.ByteaArray(accounts);
    if (event.event != nullptr) {
      events.Null();
    } else {
      events.Text(event.decode_error);
    }
    events.Timestamptz(block_times.at(log.block_number));
  }
  auto rows = std::make_unique<RenderedRows>();
  rows->blocks = std::move(blocks).Finish();
  rows->events = std::move(events).Finish();
  return rows;
}

}  // namespace

PostgresChainStore::PostgresChainStore(PgPool& pool,
                                       metrics::Registry& registry)
    : pool_(pool),
      balance_lookups_(registry.AddCounter(
          "chainsync_indexer_balance_lookups_total",
          "Balances a batch started from, by source: memory (as the "
          "last batch staged left them) or database.",
          {"chain_id", "source"})) {}

absl::StatusOr<std::optional<Cursor>> PostgresChainStore::LoadCursor(
    uint64_t chain_id) {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> result =
      (*connection)->Exec(kLoadCursor, PgParams().Add(chain_id));
  if (!result.ok()) return result.status();
  return StoredCursor(*result);
}

std::unique_ptr<PreparedBatch> PostgresChainStore::Prepare(
    const Batch& batch) const {
  return RenderRows(batch);
}

absl::Status ChainStore::Commit(Batch batch) {
  std::unique_ptr<PreparedBatch> prepared = Prepare(batch);
  absl::StatusOr<std::unique_ptr<StagedBatch>> staged =
      Stage(std::move(batch), std::move(prepared));
  if (!staged.ok()) return staged.status();
  return (*staged)->Commit();
}

// Staged is a batch whose transaction holds its blocks, its activity and
// the balances it is the first to hold; Commit adds the rest.
class PostgresChainStore::Staged final : public StagedBatch {
 public:
  Staged(PostgresChainStore& store, Batch batch,
         std::unique_ptr<RenderedRows> rows, PgPool::Lease lease,
         PgTransaction transaction)
      : store_(store),
        batch_(std::move(batch)),
        rows_(std::move(rows)),
        lease_(std::move(lease)),
        transaction_(std::move(transaction)) {}
  ~Staged() override {
    if (transaction_.has_value()) {
      transaction_.reset();
      store_.Forget();
    }
  }

  const Batch& batch() const override { return batch_; }

  // Write writes the batch's first part, starting from the `known`
  // balances when they are those it follows, and leaves them as the batch
  // does.
  absl::Status Write(KnownBalances& known);

  absl::Status Commit() override {
    absl::Status status = Finish();
    if (!status.ok()) {
      transaction_.reset();
      store_.Forget();
      return status;
    }
    const std::string chain = absl::StrCat(batch_.chain_id);
    store_.balance_lookups_.WithLabels({chain, "memory"})
        .Increment(static_cast<double>(moved_ - read_));
    store_.balance_lookups_.WithLabels({chain, "database"})
        .Increment(static_cast<double>(read_));
    return absl::OkStatus();
  }

 private:
  absl::Status Finish();

  PostgresChainStore& store_;
  const Batch batch_;
  const std::unique_ptr<RenderedRows> rows_;
  PgPool::Lease lease_;
  // Declared after lease_, whose connection it runs on; reset when the
  // transaction ends.
  std::optional<PgTransaction> transaction_;
  // The cursor the batch's balances start from.
  std::optional<Cursor> basis_;
  // The balances moved that were stored before the batch, as it leaves
  // them, for kUpdateBalances.
  std::vector<std::string> tokens_, holders_, values_, blocks_;
  size_t moved_ = 0;
  size_t read_ = 0;
};

absl::Status PostgresChainStore::Staged::Write(KnownBalances& known) {
  PgConnection& connection = *lease_;
  const int64_t chain = Signed(batch_.chain_id);
  const bool follows = known.chain_id == batch_.chain_id &&
                       known.cursor.has_value() &&
                       known.cursor->indexed_block + 1 == batch_.from_block;
  if (!follows) known = KnownBalances{};
  BatchLedger ledger(batch_.activity);
  const std::vector<HoldingKey>& keys = ledger.keys();
  std::vector<Holding>& holdings = ledger.holdings();
  // The holdings memory lacks, by index.
  std::vector<size_t> unknown;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (const auto found = known.balances.find(keys[i]);
        found != known.balances.end()) {
      holdings[i].balance = found->second;
      holdings[i].stored = true;
    } else {
      unknown.push_back(i);
    }
  }
  moved_ = keys.size();
  read_ = unknown.size();
  basis_ = known.cursor;
  if (!follows || !unknown.empty()) {
    std::vector<std::string> tokens, holders;
    for (const size_t i : unknown) {
      tokens.push_back(HexOf(keys[i].token.bytes()));
      holders.push_back(HexOf(keys[i].holder.bytes()));
    }
    absl::StatusOr<PgResult> start = connection.Exec(
        kReadStart,
        PgParams().Add(batch_.chain_id).AddArray(tokens).AddArray(holders));
    if (!start.ok()) return start.status();
    std::optional<Cursor> cursor;
    for (int row = 0; row < start->rows(); ++row) {
      if (start->IsNull(row, 0)) {
        absl::StatusOr<Cursor> found = CursorAt(*start, row, 2);
        if (!found.ok()) return found.status();
        cursor = *found;
        continue;
      }
      Holding& holding = holdings[unknown[*start->GetInt64(row, 0) - 1]];
      holding.balance = *evm::ParseUint256(start->Get(row, 1), "balance");
      holding.stored = true;
    }
    // Balances the known ones lack are read at the cursor the last batch
    // staged found, if it has not committed yet: it moved none of them.
    if (follows && cursor != known.cursor && cursor != known.before) {
      return absl::AbortedError(absl::StrCat(
          "batch of blocks ", batch_.from_block, "..", batch_.to_block,
          " follows a batch staged on ", Describe(known.before),
          " but the cursor is at ", Describe(cursor)));
    }
    if (!follows && cursor.has_value() &&
        cursor->indexed_block + 1 != batch_.from_block) {
      return absl::AbortedError(absl::StrCat(
          "batch of blocks ", batch_.from_block, "..", batch_.to_block,
          " does not follow the cursor at ", cursor->indexed_block));
    }
    if (!follows) basis_ = cursor;
  }
  if (absl::Status posted = ledger.Post(); !posted.ok()) return posted;
  const std::string activity = RenderActivity(batch_, ledger);
  for (const auto& [sql, data] :
       {std::pair{kBlocksCopy, absl::string_view(rows_->blocks)},
        std::pair{kActivityCopy, absl::string_view(activity)}}) {
    if (absl::StatusOr<int64_t> copied = connection.CopyFrom(sql, data);
        !copied.ok()) {
      return copied.status();
    }
  }
  // New holdings are copied in now, stored ones updated at commit: they may
  // be the last batch's, not committed yet.
  PgBinaryCopy added;
  for (size_t i = 0; i < keys.size(); ++i) {
    const HoldingKey& key = keys[i];
    const Holding& holding = holdings[i];
    if (!holding.stored) {
      added.Row(5)
          .Int8(chain)
          .Bytea(key.token.bytes())
          .Bytea(key.holder.bytes())
          .Int8(Signed(holding.last_change_block));
      AddNumeric(added, holding.balance);
      continue;
    }
    tokens_.push_back(HexOf(key.token.bytes()));
    holders_.push_back(HexOf(key.holder.bytes()));
    values_.push_back(evm::ToDecimal(holding.balance));
    blocks_.push_back(absl::StrCat(holding.last_change_block));
  }
  if (added.rows() > 0) {
    absl::StatusOr<int64_t> copied = connection.CopyFrom(
        "COPY indexer.token_balances (chain_id, token, holder, "
        "last_change_block, balance) FROM STDIN (FORMAT binary)",
        std::move(added).Finish());
    if (!copied.ok()) return copied.status();
  }
  known.chain_id = batch_.chain_id;
  known.before = basis_;
  known.cursor = Cursor{batch_.to_block, batch_.blocks.back().hash};
  // Past the limit, only the balances this batch moves are kept: the next
  // batch may be staged before this one commits, and must not read those.
  if (known.balances.size() + keys.size() > kKnownBalancesLimit)
    known.balances.clear();
  for (size_t i = 0; i < keys.size(); ++i)
    known.balances[keys[i]] = holdings[i].balance;
  return absl::OkStatus();
}

absl::Status PostgresChainStore::Staged::Finish() {
  PgConnection& connection = *lease_;
  // Waits here while the batch staged before this one commits.
  absl::StatusOr<PgResult> locked =
      connection.Exec(kLockCursor, PgParams().Add(batch_.chain_id));
  if (!locked.ok()) return locked.status();
  absl::StatusOr<std::optional<Cursor>> cursor = StoredCursor(*locked);
  if (!cursor.ok()) return cursor.status();
  if (*cursor != basis_) {
    return absl::AbortedError(
        absl::StrCat("batch of blocks ", batch_.from_block, "..",
                     batch_.to_block, " was staged on ", Describe(basis_),
                     " but the cursor is at ", Describe(*cursor)));
  }
  if (!tokens_.empty()) {
    absl::Status status = connection
                              .Exec(kUpdateBalances, PgParams()
                                                         .Add(batch_.chain_id)
                                                         .AddArray(tokens_)
                                                         .AddArray(holders_)
                                                         .AddArray(values_)
                                                         .AddArray(blocks_))
                              .status();
    if (!status.ok()) return status;
  }
  if (absl::Status status = connection.Exec(kLockStream).status();
      !status.ok()) {
    return status;
  }
  absl::StatusOr<int64_t> copied =
      connection.CopyFrom(kEventsCopy, rows_->events);
  if (!copied.ok()) return copied.status();
  absl::Status saved =
      connection
          .Exec(kSaveCursor, PgParams()
                                 .Add(batch_.chain_id)
                                 .Add(batch_.to_block)
                                 .Add(HexOf(batch_.blocks.back().hash)))
          .status();
  if (!saved.ok()) return saved;
  absl::Status committed = transaction_->Commit();
  transaction_.reset();
  return committed;
}

absl::StatusOr<std::unique_ptr<StagedBatch>> PostgresChainStore::Stage(
    Batch batch, std::unique_ptr<PreparedBatch> prepared) {
  if (batch.blocks.empty() || batch.blocks.back().number != batch.to_block) {
    return absl::InvalidArgumentError(
        "a batch must end with the header of its last block");
  }
  std::unique_ptr<RenderedRows> rows(
      dynamic_cast<RenderedRows*>(prepared.get()));
  if (rows == nullptr) {
    return absl::InvalidArgumentError(
        "a batch must be prepared by the store that stages it");
  }
  prepared.release();
  absl::StatusOr<PgPool::Lease> lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<PgTransaction> transaction = PgTransaction::Begin(**lease);
  if (!transaction.ok()) return transaction.status();
  auto staged =
      std::make_unique<Staged>(*this, std::move(batch), std::move(rows),
                               *std::move(lease), *std::move(transaction));
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(known_mu_);
    status = staged->Write(known_);
  }
  // A failed batch is dropped here, rolled back, and forgets the balances.
  if (!status.ok()) return status;
  return staged;
}

void PostgresChainStore::Forget() {
  std::lock_guard<std::mutex> lock(known_mu_);
  known_ = KnownBalances{};
}

absl::StatusOr<std::vector<BlockRecord>> PostgresChainStore::StoredBlocks(
    uint64_t chain_id, uint64_t at_or_below, int limit) {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows =
      (*connection)
          ->Exec(kStoredBlocks, PgParams()
                                    .Add(chain_id)
                                    .Add(at_or_below)
                                    .Add(static_cast<int64_t>(limit)));
  if (!rows.ok()) return rows.status();
  std::vector<BlockRecord> blocks;
  for (int row = 0; row < rows->rows(); ++row) {
    BlockRecord block;
    block.number = static_cast<uint64_t>(*rows->GetInt64(row, 0));
    block.hash = *evm::FixedFromHex<32>(rows->Get(row, 1), "hash");
    block.parent_hash =
        *evm::FixedFromHex<32>(rows->Get(row, 2), "parent_hash");
    block.timestamp = static_cast<uint64_t>(*rows->GetInt64(row, 3));
    blocks.push_back(block);
  }
  return blocks;
}

absl::StatusOr<int64_t> PostgresChainStore::RollbackTo(
    uint64_t chain_id, uint64_t ancestor, const evm::Hash& ancestor_hash) {
  int64_t removed = 0;
  absl::Status status =
      pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
        absl::StatusOr<PgResult> cursor =
            connection.Exec(kLockCursor, PgParams().Add(chain_id));
        if (!cursor.ok()) return cursor.status();
        if (absl::Status status = connection.Exec(kLockStream).status();
            !status.ok()) {
          return status;
        }
        absl::StatusOr<PgResult> published = connection.Exec(
            kPublishRemovals, PgParams().Add(chain_id).Add(ancestor));
        if (!published.ok()) return published.status();
        removed = published->affected_rows();
        for (const RollbackStep& step : kRollbackSteps) {
          PgParams params;
          if (step.parameters >= 1) params.Add(chain_id);
          if (step.parameters >= 2) params.Add(ancestor);
          absl::StatusOr<PgResult> result = connection.Exec(step.sql, params);
          if (!result.ok()) return result.status();
        }
        return connection
            .Exec(kSaveCursor, PgParams().Add(chain_id).Add(ancestor).Add(
                                   HexOf(ancestor_hash)))
            .status();
      });
  if (!status.ok()) return status;
  return removed;
}

absl::Status PostgresChainStore::RegisterContracts(
    uint64_t chain_id, const ContractRegistry& registry) {
  return pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
    if (absl::Status status =
            connection
                .Exec("DELETE FROM indexer.contracts WHERE chain_id = $1",
                      PgParams().Add(chain_id))
                .status();
        !status.ok()) {
      return status;
    }
    for (const auto& contract : registry.contracts()) {
      bool token = false;
      for (const evm::AbiEvent& event : contract->abi.events()) {
        token =
            token || event.signature() == "Transfer(address,address,uint256)";
      }
      absl::Status status =
          connection
              .Exec(kRegisterContract,
                    PgParams()
                        .Add(chain_id)
                        .Add(HexOf(contract->address.bytes()))
                        .Add(contract->name)
                        .Add(contract->start_block)
                        .Add(contract->abi_json)
                        .Add(token ? "{balances,activity}" : "{activity}"))
              .status();
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  });
}

}  // namespace chainsync::indexer
