#include "services/indexer/chain_store.h"

#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "libs/common/logging/log.h"

namespace chainsync::indexer {
namespace {

constexpr PgStatement kLoadCursor = {
    "indexer_load_cursor",
    "SELECT indexed_block, encode(indexed_hash, 'hex') FROM indexer.chains "
    "WHERE chain_id = $1"};
constexpr PgStatement kLockCursor = {
    "indexer_lock_cursor",
    "SELECT indexed_block FROM indexer.chains WHERE chain_id = $1 FOR UPDATE"};
constexpr PgStatement kSaveCursor = {
    "indexer_save_cursor",
    "INSERT INTO indexer.chains (chain_id, indexed_block, indexed_hash, "
    "updated_at) "
    "VALUES ($1, $2, decode($3, 'hex'), now()) ON CONFLICT (chain_id) DO "
    "UPDATE SET "
    "indexed_block = EXCLUDED.indexed_block, indexed_hash = "
    "EXCLUDED.indexed_hash, "
    "updated_at = now()"};
constexpr PgStatement kReadBalances = {
    "indexer_read_balances",
    "SELECT encode(b.token, 'hex'), encode(b.holder, 'hex'), b.balance::text "
    "FROM indexer.token_balances b JOIN unnest($2::text[], $3::text[]) AS "
    "k(token, holder) "
    "ON b.token = decode(k.token, 'hex') AND b.holder = decode(k.holder, "
    "'hex') "
    "WHERE b.chain_id = $1"};
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
// A rollback withdraws every event still published above the ancestor —
// where a position's latest stream row is not a removal — with the text it
// was published with, in chain order.
constexpr PgStatement kPublishRemovals = {
    "indexer_publish_removals",
    "INSERT INTO indexer.event_stream (chain_id, block_number, log_index, "
    "removed, event) "
    "SELECT chain_id, block_number, log_index, true, event FROM ("
    "  SELECT DISTINCT ON (block_number, log_index) chain_id, block_number, "
    "  log_index, removed, event FROM indexer.event_stream "
    "  WHERE chain_id = $1 AND block_number > $2 "
    "  ORDER BY block_number, log_index, sequence DESC) latest "
    "WHERE NOT removed ORDER BY block_number, log_index"};

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
// The rollback, in order: the (token, holder) pairs whose history is undone
// lose their balance rows, which are rebuilt from the history that remains;
// then the rows above the ancestor go. A step takes no parameter, the chain
// id ($1), or the chain id and the ancestor block ($2).
struct RollbackStep {
  absl::string_view sql;
  int parameters;
};
constexpr RollbackStep kRollbackSteps[] = {
    {"CREATE TEMP TABLE rolled_back (token bytea, holder bytea) ON COMMIT DROP",
     0},
    {"INSERT INTO rolled_back SELECT DISTINCT token, holder FROM "
     "indexer.balance_history "
     "WHERE chain_id = $1 AND block_number > $2",
     2},
    {"DELETE FROM indexer.balance_history WHERE chain_id = $1 AND block_number "
     "> $2",
     2},
    {"DELETE FROM indexer.token_balances t USING rolled_back r "
     "WHERE t.chain_id = $1 AND t.token = r.token AND t.holder = r.holder",
     1},
    {"INSERT INTO indexer.token_balances (chain_id, token, holder, balance, "
     "last_change_block) "
     "SELECT DISTINCT ON (h.token, h.holder) $1, h.token, h.holder, h.balance, "
     "h.block_number "
     "FROM indexer.balance_history h JOIN rolled_back r USING (token, holder) "
     "WHERE h.chain_id = $1 ORDER BY h.token, h.holder, h.block_number DESC, "
     "h.log_index DESC",
     1},
    {"DELETE FROM indexer.activity WHERE chain_id = $1 AND block_number > $2",
     2},
    {"DELETE FROM indexer.events WHERE chain_id = $1 AND block_number > $2", 2},
    {"DELETE FROM indexer.logs WHERE chain_id = $1 AND block_number > $2", 2},
    {"DELETE FROM indexer.blocks WHERE chain_id = $1 AND number > $2", 2},
};

// Values in COPY's text format: bytea as \x hex, arrays as literals.
std::string Bytea(evm::ByteSpan bytes) {
  return "\\x" + evm::ToHex(bytes).substr(2);
}
std::string HexOf(evm::ByteSpan bytes) { return evm::ToHex(bytes).substr(2); }

std::string ByteaArray(const std::vector<evm::ByteSpan>& items) {
  // Inside an array literal a backslash is escaped, so \x becomes \\x.
  return absl::StrCat("{",
                      absl::StrJoin(items, ",",
                                    [](std::string* out, evm::ByteSpan item) {
                                      absl::StrAppend(out, "\"\\\\x",
                                                      HexOf(item), "\"");
                                    }),
                      "}");
}

std::string TextArray(const std::vector<std::string>& items) {
  return absl::StrCat("{", absl::StrJoin(items, ","), "}");
}

std::string Timestamp(uint64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(static_cast<int64_t>(seconds)),
                          absl::UTCTimeZone());
}

absl::Status WriteBalances(PgConnection& connection, const Batch& batch) {
  // Start from the stored balances of every holder the batch touches.
  std::map<std::pair<std::string, std::string>, evm::Uint256> balances;
  std::vector<std::string> tokens, holders;
  for (const BalanceDelta& delta : batch.deltas) {
    const auto key =
        std::make_pair(HexOf(delta.token.bytes()), HexOf(delta.holder.bytes()));
    if (balances.emplace(key, 0).second) {
      tokens.push_back(key.first);
      holders.push_back(key.second);
    }
  }
  if (balances.empty()) return absl::OkStatus();
  absl::StatusOr<PgResult> stored =
      connection.Exec(kReadBalances, PgParams()
                                         .Add(batch.chain_id)
                                         .Add(TextArray(tokens))
                                         .Add(TextArray(holders)));
  if (!stored.ok()) return stored.status();
  std::set<std::pair<std::string, std::string>> was_stored;
  for (int row = 0; row < stored->rows(); ++row) {
    auto key = std::make_pair(std::string(stored->Get(row, 0)),
                              std::string(stored->Get(row, 1)));
    balances[key] = *evm::ParseUint256(stored->Get(row, 2), "balance");
    was_stored.insert(std::move(key));
  }
  // Apply the deltas in chain order, with a history row at every change.
  std::vector<std::vector<PgParam>> history;
  std::map<std::pair<std::string, std::string>, uint64_t> last_change;
  for (const BalanceDelta& delta : batch.deltas) {
    const auto key =
        std::make_pair(HexOf(delta.token.bytes()), HexOf(delta.holder.bytes()));
    evm::Uint256& balance = balances[key];
    if (!delta.credit && balance < delta.amount) {
      return absl::FailedPreconditionError(absl::StrCat(
          "block ", delta.block_number, " log ", delta.log_index, " debits ",
          evm::ToDecimal(delta.amount), " from ", delta.holder.ToChecksumHex(),
          " of token ", delta.token.ToChecksumHex(), " which holds only ",
          evm::ToDecimal(balance),
          ": is the contract indexed from its first block?"));
    }
    balance = delta.credit ? balance + delta.amount : balance - delta.amount;
    last_change[key] = delta.block_number;
    history.push_back(
        {absl::StrCat(batch.chain_id), Bytea(delta.token.bytes()),
         Bytea(delta.holder.bytes()), absl::StrCat(delta.block_number),
         absl::StrCat(delta.log_index),
         absl::StrCat(delta.credit ? "" : "-", evm::ToDecimal(delta.amount)),
         evm::ToDecimal(balance)});
  }
  absl::StatusOr<int64_t> copied = connection.CopyFrom(
      "COPY indexer.balance_history (chain_id, token, holder, block_number, "
      "log_index, delta, "
      "balance) FROM STDIN",
      history);
  if (!copied.ok()) return copied.status();
  std::vector<std::string> values, blocks;
  tokens.clear();
  holders.clear();
  std::vector<std::vector<PgParam>> added;
  for (const auto& [key, balance] : balances) {
    if (was_stored.count(key) == 0) {
      added.push_back({absl::StrCat(batch.chain_id), "\\x" + key.first,
                       "\\x" + key.second, evm::ToDecimal(balance),
                       absl::StrCat(last_change[key])});
      continue;
    }
    tokens.push_back(key.first);
    holders.push_back(key.second);
    values.push_back(evm::ToDecimal(balance));
    blocks.push_back(absl::StrCat(last_change[key]));
  }
  if (!added.empty()) {
    absl::StatusOr<int64_t> copied = connection.CopyFrom(
        "COPY indexer.token_balances (chain_id, token, holder, balance, "
        "last_change_block) FROM STDIN",
        added);
    if (!copied.ok()) return copied.status();
  }
  if (tokens.empty()) return absl::OkStatus();
  return connection
      .Exec(kUpdateBalances, PgParams()
                                 .Add(batch.chain_id)
                                 .Add(TextArray(tokens))
                                 .Add(TextArray(holders))
                                 .Add(TextArray(values))
                                 .Add(TextArray(blocks)))
      .status();
}

// The tables a batch's rows are copied to, in the order Batch::prepared
// holds them. The stream comes last: it is written under its lock.
constexpr const char* kBatchCopies[] = {
    "COPY indexer.blocks (chain_id, number, hash, parent_hash, block_time) "
    "FROM STDIN",
    "COPY indexer.logs (chain_id, block_number, log_index, block_hash, "
    "transaction_hash, transaction_index, address, topics, data) FROM STDIN",
    "COPY indexer.events (chain_id, block_number, log_index, "
    "contract_address, contract_name, event_name, signature, args, accounts, "
    "decode_error) FROM STDIN",
    "COPY indexer.activity (chain_id, account, block_number, log_index, kind, "
    "direction, token, amount, counterparty, transaction_hash, block_time, "
    "details) FROM STDIN",
    "COPY indexer.event_stream (chain_id, block_number, log_index, removed, "
    "event) FROM STDIN",
};
constexpr size_t kStreamCopy = std::size(kBatchCopies) - 1;

// StreamJson renders an event as the stream publishes it.
std::string StreamJson(const DecodedEvent& event, const std::string& chain,
                       uint64_t block_time) {
  const evm::Log& log = event.log;
  std::string json = absl::StrCat(
      "{\"chain_id\":", chain, ",\"block_number\":", log.block_number,
      ",\"block_hash\":\"", evm::ToHex(log.block_hash),
      "\",\"log_index\":", log.log_index, ",\"transaction_hash\":\"",
      evm::ToHex(log.transaction_hash),
      "\",\"transaction_index\":", log.transaction_index,
      ",\"contract_address\":\"", log.address.ToLowerHex(),
      "\",\"contract_name\":");
  log::AppendJsonString(&json,
                        event.contract != nullptr ? event.contract->name : "");
  json += ",\"event_name\":";
  if (event.event != nullptr) {
    log::AppendJsonString(&json, event.event->name());
    json += ",\"signature\":";
    log::AppendJsonString(&json, event.event->signature());
    absl::StrAppend(&json, ",\"args\":", event.args_json,
                    ",\"decode_error\":null");
  } else {
    json += "null,\"signature\":null,\"args\":null,\"decode_error\":";
    log::AppendJsonString(&json, event.decode_error);
  }
  json += ",\"accounts\":[";
  for (size_t i = 0; i < event.accounts.size(); ++i) {
    absl::StrAppend(&json, i > 0 ? ",\"" : "\"", event.accounts[i].ToLowerHex(),
                    "\"");
  }
  absl::StrAppend(&json, "],\"block_time\":\"", Timestamp(block_time), "\"}");
  return json;
}

// RenderRows renders a batch's rows for kBatchCopies.
std::vector<std::string> RenderRows(const Batch& batch) {
  std::vector<std::string> copies(std::size(kBatchCopies));
  const std::string chain = absl::StrCat(batch.chain_id);
  std::map<uint64_t, uint64_t> block_times;
  for (const BlockRecord& block : batch.blocks) {
    block_times[block.number] = block.timestamp;
    PgConnection::AppendCopyRow(
        &copies[0], {chain, absl::StrCat(block.number), Bytea(block.hash),
                     Bytea(block.parent_hash), Timestamp(block.timestamp)});
  }
  for (const DecodedEvent& event : batch.events) {
    const evm::Log& log = event.log;
    std::vector<evm::ByteSpan> topics(log.topics.begin(), log.topics.end());
    const std::string block_number = absl::StrCat(log.block_number);
    const std::string log_index = absl::StrCat(log.log_index);
    PgConnection::AppendCopyRow(
        &copies[1],
        {chain, block_number, log_index, Bytea(log.block_hash),
         Bytea(log.transaction_hash), absl::StrCat(log.transaction_index),
         Bytea(log.address.bytes()), ByteaArray(topics), Bytea(log.data)});
    std::vector<evm::ByteSpan> accounts;
    for (const evm::Address& account : event.accounts)
      accounts.push_back(account.bytes());
    const bool decoded = event.event != nullptr;
    PgConnection::AppendCopyRow(
        &copies[2], {chain, block_number, log_index, Bytea(log.address.bytes()),
                     event.contract != nullptr ? event.contract->name : "",
                     decoded ? PgParam(event.event->name()) : std::nullopt,
                     decoded ? PgParam(event.event->signature()) : std::nullopt,
                     decoded ? PgParam(event.args_json) : std::nullopt,
                     ByteaArray(accounts),
                     decoded ? std::nullopt : PgParam(event.decode_error)});
    PgConnection::AppendCopyRow(
        &copies[kStreamCopy],
        {chain, block_number, log_index, "f",
         StreamJson(event, chain, block_times[log.block_number])});
  }
  for (const ActivityRow& row : batch.activity) {
    PgConnection::AppendCopyRow(
        &copies[3],
        {chain, Bytea(row.account.bytes()), absl::StrCat(row.block_number),
         absl::StrCat(row.log_index), row.kind, row.direction,
         row.token.has_value() ? PgParam(Bytea(row.token->bytes()))
                               : std::nullopt,
         row.amount.has_value() ? PgParam(evm::ToDecimal(*row.amount))
                                : std::nullopt,
         row.counterparty.has_value()
             ? PgParam(Bytea(row.counterparty->bytes()))
             : std::nullopt,
         Bytea(row.transaction_hash), Timestamp(block_times[row.block_number]),
         row.details_json});
  }
  return copies;
}

}  // namespace

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
  return pool_.InTransaction([&](PgConnection& connection) -> absl::Status {
    absl::StatusOr<PgResult> cursor =
        connection.Exec(kLockCursor, PgParams().Add(batch.chain_id));
    if (!cursor.ok()) return cursor.status();
    if (cursor->rows() > 0) {
      const int64_t indexed = *cursor->GetInt64(0, 0);
      if (static_cast<int64_t>(batch.from_block) != indexed + 1) {
        return absl::AbortedError(absl::StrCat(
            "batch of blocks ", batch.from_block, "..", batch.to_block,
            " does not follow the cursor at ", indexed));
      }
    }
    for (size_t table = 0; table < std::size(kBatchCopies); ++table) {
      if (table == kStreamCopy) {
        if (absl::Status status = WriteBalances(connection, batch);
            !status.ok()) {
          return status;
        }
        if (absl::Status status = connection.Exec(kLockStream).status();
            !status.ok()) {
          return status;
        }
      }
      if (copies[table].empty()) continue;
      absl::StatusOr<int64_t> copied =
          connection.CopyFromText(kBatchCopies[table], copies[table]);
      if (!copied.ok()) return copied.status();
    }
    return connection
        .Exec(kSaveCursor, PgParams()
                               .Add(batch.chain_id)
                               .Add(batch.to_block)
                               .Add(HexOf(batch.blocks.back().hash)))
        .status();
  });
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
        // Each removal repeats the text its event was published with.
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
