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
// How many balances the store keeps in memory at most: about 100 bytes
// each.
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
// The stored balances among the (token, holder) pairs $2, $3 (hex), by
// their index in those arrays.
constexpr PgStatement kReadBalances = {
    "indexer_read_balances",
    "SELECT k.i, b.balance::text FROM indexer.token_balances b "
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

// A balance the batch moves: as stored before it, then as it leaves it.
struct Holding {
  evm::Uint256 balance = 0;
  bool stored = false;
  uint64_t last_change_block = 0;
};
using Holdings = absl::flat_hash_map<HoldingKey, Holding>;
using Balances = absl::flat_hash_map<HoldingKey, evm::Uint256>;

// WriteActivity copies the batch's activity rows, each balance-moving row
// with the balance after it, and stores the balances the batch leaves in
// `holdings`. It starts from `known` balances, when given, and reads the
// others.
absl::Status WriteActivity(PgConnection& connection, const Batch& batch,
                           const Balances* known, Holdings& holdings,
                           size_t& read) {
  holdings.clear();
  read = 0;
  if (batch.activity.empty()) return absl::OkStatus();
  std::vector<HoldingKey> order;
  std::vector<HoldingKey> unknown;
  for (const ActivityRow& row : batch.activity) {
    if (!row.moves_balance) continue;
    const HoldingKey key{*row.token, row.account};
    auto [holding, added] = holdings.try_emplace(key);
    if (!added) continue;
    order.push_back(key);
    if (known != nullptr) {
      if (const auto found = known->find(key); found != known->end()) {
        holding->second.balance = found->second;
        holding->second.stored = true;
        continue;
      }
    }
    unknown.push_back(key);
  }
  read = unknown.size();
  if (!unknown.empty()) {
    std::vector<std::string> tokens, holders;
    for (const HoldingKey& key : unknown) {
      tokens.push_back(HexOf(key.token.bytes()));
      holders.push_back(HexOf(key.holder.bytes()));
    }
    absl::StatusOr<PgResult> stored = connection.Exec(
        kReadBalances,
        PgParams().Add(batch.chain_id).AddArray(tokens).AddArray(holders));
    if (!stored.ok()) return stored.status();
    for (int row = 0; row < stored->rows(); ++row) {
      Holding& holding = holdings[unknown[*stored->GetInt64(row, 0) - 1]];
      holding.balance = *evm::ParseUint256(stored->Get(row, 1), "balance");
      holding.stored = true;
    }
  }
  // The rows in chain order, each balance moved as it goes.
  const absl::flat_hash_map<uint64_t, int64_t> block_times = BlockTimes(batch);
  const int64_t chain = Signed(batch.chain_id);
  PgBinaryCopy copy;
  for (const ActivityRow& row : batch.activity) {
    copy.Row(13)
        .Int8(chain)
        .Bytea(row.account.bytes())
        .Int8(Signed(row.block_number))
        .Int4(static_cast<int32_t>(row.log_index))
        .Text(row.kind)
        .Text(row.direction);
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
    if (!row.moves_balance) {
      copy.Null();
      continue;
    }
    Holding& holding = holdings[HoldingKey{*row.token, row.account}];
    const bool credit = row.direction == "in";
    if (!credit && holding.balance < *row.amount) {
      return absl::FailedPreconditionError(absl::StrCat(
          "block ", row.block_number, " log ", row.log_index, " debits ",
          evm::ToDecimal(*row.amount), " from ", row.account.ToChecksumHex(),
          " of token ", row.token->ToChecksumHex(), " which holds only ",
          evm::ToDecimal(holding.balance),
          ": is the contract indexed from its first block?"));
    }
    holding.balance =
        credit ? holding.balance + *row.amount : holding.balance - *row.amount;
    holding.last_change_block = row.block_number;
    AddNumeric(copy, holding.balance);
  }
  absl::StatusOr<int64_t> copied = connection.CopyFrom(
      "COPY indexer.activity (chain_id, account, block_number, log_index, "
      "kind, direction, token, amount, counterparty, transaction_hash, "
      "block_time, details, balance) FROM STDIN (FORMAT binary)",
      std::move(copy).Finish());
  if (!copied.ok()) return copied.status();
  // New holdings are copied in, stored ones updated.
  PgBinaryCopy added;
  std::vector<std::string> tokens, holders, values, blocks;
  for (const HoldingKey& key : order) {
    const Holding& holding = holdings[key];
    if (!holding.stored) {
      added.Row(5)
          .Int8(chain)
          .Bytea(key.token.bytes())
          .Bytea(key.holder.bytes())
          .Int8(Signed(holding.last_change_block));
      AddNumeric(added, holding.balance);
      continue;
    }
    tokens.push_back(HexOf(key.token.bytes()));
    holders.push_back(HexOf(key.holder.bytes()));
    values.push_back(evm::ToDecimal(holding.balance));
    blocks.push_back(absl::StrCat(holding.last_change_block));
  }
  if (added.rows() > 0) {
    absl::StatusOr<int64_t> copied = connection.CopyFrom(
        "COPY indexer.token_balances (chain_id, token, holder, "
        "last_change_block, balance) FROM STDIN (FORMAT binary)",
        std::move(added).Finish());
    if (!copied.ok()) return copied.status();
  }
  if (tokens.empty()) return absl::OkStatus();
  return connection
      .Exec(kUpdateBalances, PgParams()
                                 .Add(batch.chain_id)
                                 .AddArray(tokens)
                                 .AddArray(holders)
                                 .AddArray(values)
                                 .AddArray(blocks))
      .status();
}

// The tables a batch's rows are copied to, in the order Batch::prepared
// holds them. Events come last: they enter the stream, under its lock.
constexpr const char* kBatchCopies[] = {
    "COPY indexer.blocks (chain_id, number, hash, parent_hash, block_time) "
    "FROM STDIN (FORMAT binary)",
    "COPY indexer.events (chain_id, block_number, log_index, block_hash, "
    "transaction_hash, transaction_index, contract_address, topics, data, "
    "contract_name, event_name, signature, args, accounts, decode_error, "
    "block_time) FROM STDIN (FORMAT binary)",
};
constexpr size_t kEventsCopy = std::size(kBatchCopies) - 1;

// RenderRows renders a batch's rows for kBatchCopies.
std::vector<std::string> RenderRows(const Batch& batch) {
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
  std::vector<std::string> copies(std::size(kBatchCopies));
  copies[0] = std::move(blocks).Finish();
  copies[kEventsCopy] = std::move(events).Finish();
  return copies;
}

}  // namespace

PostgresChainStore::PostgresChainStore(PgPool& pool,
                                       metrics::Registry& registry)
    : pool_(pool),
      balance_lookups_(registry.AddCounter(
          "chainsync_indexer_balance_lookups_total",
          "Balances a batch started from, by source: memory (as the "
          "store's last commit left them) or database.",
          {"chain_id", "source"})) {}

absl::StatusOr<std::optional<Cursor>> PostgresChainStore::LoadCursor(
    uint64_t chain_id) {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> result =
      (*connection)->Exec(kLoadCursor, PgParams().Add(chain_id));
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return std::nullopt;
  Cursor cursor;
  absl::StatusOr<int64_t> block = result->GetInt64(0, 0);
  if (!block.ok()) return block.status();
  cursor.indexed_block = static_cast<uint64_t>(*block);
  if (!result->IsNull(0, 1)) {
    absl::StatusOr<evm::Hash> hash =
        evm::FixedFromHex<32>(result->Get(0, 1), "indexed_hash");
    if (!hash.ok()) return hash.status();
    cursor.indexed_hash = *hash;
  }
  return cursor;
}

void PostgresChainStore::Prepare(Batch& batch) const {
  if (batch.prepared.empty()) batch.prepared = RenderRows(batch);
}

absl::Status PostgresChainStore::Commit(const Batch& batch) {
  if (batch.blocks.empty() || batch.blocks.back().number != batch.to_block) {
    return absl::InvalidArgumentError(
        "a batch must end with the header of its last block");
  }
  const std::vector<std::string> rendered =
      batch.prepared.empty() ? RenderRows(batch) : std::vector<std::string>();
  const std::vector<std::string>& copies =
      batch.prepared.empty() ? rendered : batch.prepared;
  std::lock_guard<std::mutex> lock(known_mu_);
  bool known_valid = false;
  Holdings holdings;
  size_t read = 0;
  const absl::Status status =
      pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
        absl::StatusOr<PgResult> cursor =
            connection.Exec(kLockCursor, PgParams().Add(batch.chain_id));
        if (!cursor.ok()) return cursor.status();
        std::optional<Cursor> stored;
        if (cursor->rows() > 0) {
          const int64_t indexed = *cursor->GetInt64(0, 0);
          if (static_cast<int64_t>(batch.from_block) != indexed + 1) {
            return absl::AbortedError(absl::StrCat(
                "batch of blocks ", batch.from_block, "..", batch.to_block,
                " does not follow the cursor at ", indexed));
          }
          absl::StatusOr<evm::Hash> hash =
              evm::FixedFromHex<32>(cursor->Get(0, 1), "indexed_hash");
          if (hash.ok()) stored = Cursor{static_cast<uint64_t>(indexed), *hash};
        }
        known_valid = known_.chain_id == batch.chain_id && stored.has_value() &&
                      known_.cursor.has_value() &&
                      known_.cursor->indexed_block == stored->indexed_block &&
                      known_.cursor->indexed_hash == stored->indexed_hash;
        for (size_t table = 0; table < std::size(kBatchCopies); ++table) {
          if (table == kEventsCopy) {
            if (absl::Status status = WriteActivity(
                    connection, batch, known_valid ? &known_.balances : nullptr,
                    holdings, read);
                !status.ok()) {
              return status;
            }
            if (absl::Status status = connection.Exec(kLockStream).status();
                !status.ok()) {
              return status;
            }
          }
          absl::StatusOr<int64_t> copied =
              connection.CopyFrom(kBatchCopies[table], copies[table]);
          if (!copied.ok()) return copied.status();
        }
        return connection
            .Exec(kSaveCursor, PgParams()
                                   .Add(batch.chain_id)
                                   .Add(batch.to_block)
                                   .Add(HexOf(batch.blocks.back().hash)))
            .status();
      });
  if (!status.ok() || !known_valid ||
      known_.balances.size() + holdings.size() > kKnownBalancesLimit) {
    known_.balances.clear();
    known_.cursor.reset();
  }
  if (!status.ok()) return status;
  const std::string chain = absl::StrCat(batch.chain_id);
  balance_lookups_.WithLabels({chain, "memory"})
      .Increment(static_cast<double>(holdings.size() - read));
  balance_lookups_.WithLabels({chain, "database"})
      .Increment(static_cast<double>(read));
  known_.chain_id = batch.chain_id;
  known_.cursor = Cursor{batch.to_block, batch.blocks.back().hash};
  for (const auto& [key, holding] : holdings)
    known_.balances[key] = holding.balance;
  return absl::OkStatus();
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
