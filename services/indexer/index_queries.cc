#include "services/indexer/index_queries.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"
#include "services/indexer/api_rows.h"
#include "services/indexer/ledger.h"

namespace chainsync::indexer {
namespace {

// An account's balances at block $4 (the indexed block when null): the
// current one unless it changed after the block, then the balance after its
// last change at or before it (0 before its first).
constexpr PgStatement kBalances = {
    "indexer_query_balances",
    "WITH at AS (SELECT coalesce($4::bigint, (SELECT indexed_block FROM "
    "indexer.chains WHERE chain_id = $1)) AS block), b AS (SELECT t.token, "
    "CASE WHEN t.last_change_block <= at.block THEN t.balance ELSE "
    "coalesce((SELECT h.balance FROM indexer.change_at_or_before(t.chain_id, "
    "t.token, t.holder, at.block) h), 0) END AS balance, CASE WHEN "
    "t.last_change_block <= at.block THEN t.last_change_block ELSE "
    "coalesce((SELECT h.block_number FROM "
    "indexer.change_at_or_before(t.chain_id, t.token, t.holder, at.block) h), "
    "0) END AS changed, at.block FROM at CROSS JOIN indexer.token_balances t "
    "WHERE t.chain_id = $1 AND t.holder = decode($2, 'hex') AND ($3::text IS "
    "NULL OR t.token = decode($3, 'hex'))) SELECT encode(b.token, 'hex'), "
    "b.balance::text, b.changed, coalesce(extract(epoch FROM "
    "k.block_time)::bigint, 0), b.block FROM b LEFT JOIN indexer.blocks k ON "
    "k.chain_id = $1 AND k.number = b.changed ORDER BY b.token"};
constexpr PgStatement kIndexedBlock = {
    "indexer_query_indexed_block",
    "SELECT coalesce((SELECT indexed_block FROM indexer.chains WHERE chain_id "
    "= $1), 0)"};
// A holder's balance at block $3, as kBalances reads it.
constexpr PgStatement kHolders = {
    "indexer_query_holders",
    "SELECT encode(t.token, 'hex'), encode(t.holder, 'hex'), CASE WHEN "
    "t.last_change_block <= $3 THEN t.balance ELSE coalesce((SELECT "
    "h.balance FROM indexer.change_at_or_before(t.chain_id, t.token, "
    "t.holder, $3) h), 0) END::text FROM indexer.token_balances t WHERE "
    "t.chain_id = $1 AND ($2 = '' OR t.token = decode($2, 'hex')) AND "
    "(t.token, t.holder) > (decode($4, 'hex'), decode($5, 'hex')) ORDER BY "
    "t.token, t.holder LIMIT $6"};
constexpr PgStatement kActivity = {
    "indexer_query_activity",
    "SELECT a.block_number, a.log_index, a.kind, a.direction, encode(a.token, "
    "'hex'), "
    "a.amount::text, encode(a.counterparty, 'hex'), encode(a.transaction_hash, "
    "'hex'), "
    "extract(epoch FROM a.block_time)::bigint, a.details::text, "
    "encode(l.block_hash, 'hex'), "
    "coalesce(l.transaction_index, 0) FROM indexer.activity a "
    "LEFT JOIN indexer.events l USING (chain_id, block_number, log_index) "
    "WHERE a.chain_id = $1 AND a.account = decode($2, 'hex') "
    "AND ($3::text[] IS NULL OR a.kind = ANY($3::text[])) "
    "AND (a.block_number, a.log_index, a.kind, a.direction) < ($4, $5, $6, $7) "
    "ORDER BY a.block_number DESC, a.log_index DESC, a.kind DESC, a.direction "
    "DESC LIMIT $8"};
constexpr PgStatement kEvents = {
    "indexer_query_events",
    // The sequence, then EventFromRow's columns.
    "SELECT sequence, chain_id, block_number, encode(block_hash, 'hex'), "
    "log_index, "
    "encode(transaction_hash, 'hex'), transaction_index, "
    "encode(contract_address, 'hex'), contract_name, event_name, signature, "
    "args::text, array_to_string(ARRAY(SELECT encode(a, 'hex') FROM "
    "unnest(accounts) a), ','), extract(epoch FROM block_time)::bigint "
    "FROM indexer.events e "
    "WHERE e.chain_id = $1 AND e.decode_error IS NULL "
    "AND ($2::text[] IS NULL OR e.contract_address IN "
    "     (SELECT decode(x, 'hex') FROM unnest($2::text[]) x)) "
    "AND ($3::text[] IS NULL OR e.event_name = ANY($3::text[])) "
    "AND e.block_number BETWEEN $4 AND $5 AND (e.block_number, e.log_index) > "
    "($6, $7) "
    "ORDER BY e.block_number, e.log_index LIMIT $8"};
constexpr PgStatement kBurns = {
    "indexer_query_burns",
    "SELECT a.block_number, a.log_index, a.amount::text, "
    "coalesce(a.details->>'reason', ''), "
    "encode(a.transaction_hash, 'hex'), extract(epoch FROM "
    "a.block_time)::bigint, "
    "encode(l.block_hash, 'hex'), coalesce(l.transaction_index, 0) FROM "
    "indexer.activity a "
    "LEFT JOIN indexer.events l USING (chain_id, block_number, log_index) "
    "WHERE a.chain_id = $1 AND a.account = decode($2, 'hex') AND a.kind = "
    "'emergency_burn' "
    "AND (a.block_number, a.log_index) < ($3, $4) "
    "ORDER BY a.block_number DESC, a.log_index DESC LIMIT $5"};
constexpr PgStatement kBurnStats = {
    "indexer_query_burn_stats",
    "SELECT count(*), coalesce(sum(amount), 0)::text, count(DISTINCT account), "
    "coalesce(extract(epoch FROM max(block_time))::bigint, 0) FROM "
    "indexer.activity "
    "WHERE chain_id = $1 AND kind = 'emergency_burn'"};

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// IsIdentifier tells whether `name` can be a Solidity event's name.
bool IsIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 256 || absl::ascii_isdigit(name[0])) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '$';
  });
}

int64_t Int(const PgResult& rows, int row, int column) {
  return rows.IsNull(row, column) ? 0 : *rows.GetInt64(row, column);
}

// AboveIndexed refuses a block the indexer has not reached.
absl::Status AboveIndexed(uint64_t block, uint64_t indexed) {
  if (block <= indexed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "block_number: ", block, " is above the indexed block ", indexed));
}

void SetTime(int64_t seconds, google::protobuf::Timestamp* time) {
  time->set_seconds(seconds);
}

void FillPosition(uint64_t chain_id, const PgResult& rows, int row, int block,
                  int log, int block_hash, int transaction_hash,
                  int transaction_index, v1::EventPosition* position) {
  position->set_chain_id(chain_id);
  position->set_block_number(static_cast<uint64_t>(Int(rows, row, block)));
  position->set_log_index(static_cast<uint32_t>(Int(rows, row, log)));
  position->set_block_hash(HexText(rows.Get(row, block_hash)));
  position->set_transaction_hash(HexText(rows.Get(row, transaction_hash)));
  position->set_transaction_index(
      static_cast<uint32_t>(Int(rows, row, transaction_index)));
}

// kKinds pairs each activity kind with the API's name for it.
constexpr std::pair<ActivityKind, v1::ActivityKind> kKinds[] = {
    {ActivityKind::kMint, v1::ACTIVITY_KIND_MINT},
    {ActivityKind::kBurn, v1::ACTIVITY_KIND_BURN},
    {ActivityKind::kTransfer, v1::ACTIVITY_KIND_TRANSFER},
    {ActivityKind::kSync, v1::ACTIVITY_KIND_SYNC},
    {ActivityKind::kEmergencyBurn, v1::ACTIVITY_KIND_EMERGENCY_BURN},
    {ActivityKind::kWrap, v1::ACTIVITY_KIND_WRAP},
    {ActivityKind::kUnwrap, v1::ACTIVITY_KIND_UNWRAP},
    {ActivityKind::kYield, v1::ACTIVITY_KIND_YIELD},
    {ActivityKind::kFee, v1::ACTIVITY_KIND_FEE},
};
static_assert(std::size(kKinds) == std::size(kActivityKinds),
              "every activity kind has an API name");

// KindOf reads a stored kind's name.
v1::ActivityKind KindOf(absl::string_view name) {
  for (const auto& [kind, api] : kKinds) {
    if (ActivityKindName(kind) == name) return api;
  }
  return v1::ACTIVITY_KIND_UNSPECIFIED;
}

// KindName is the stored name of an API kind.
absl::StatusOr<std::string> KindName(int api_kind) {
  for (const auto& [kind, api] : kKinds) {
    if (api == api_kind) return std::string(ActivityKindName(kind));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("kinds: ", api_kind, " is not an activity kind"));
}

v1::Direction DirectionOf(absl::string_view direction) {
  if (direction == "in") return v1::DIRECTION_IN;
  if (direction == "out") return v1::DIRECTION_OUT;
  return v1::DIRECTION_UNSPECIFIED;
}

}  // namespace

absl::StatusOr<uint64_t> IndexQueries::IndexedBlock(
    PgConnection& connection) const {
  absl::StatusOr<PgResult> indexed =
      connection.Exec(kIndexedBlock, PgParams().Add(chain_id_));
  if (!indexed.ok()) return indexed.status();
  return static_cast<uint64_t>(Int(*indexed, 0, 0));
}

absl::StatusOr<v1::GetBalancesResponse> IndexQueries::GetBalances(
    const v1::GetBalancesRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  PgParams params;
  params.Add(chain_id_).Add(account->ToLowerHex().substr(2));
  if (request.token_address().empty()) {
    params.AddNull();
  } else {
    absl::StatusOr<evm::Address> token =
        evm::Address::Parse(request.token_address(), "token_address");
    if (!token.ok()) return token.status();
    params.Add(token->ToLowerHex().substr(2));
  }
  v1::GetBalancesResponse response;
  response.set_address(account->ToChecksumHex());
  if (request.chain_id() != 0 && request.chain_id() != chain_id_)
    return response;
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  if (request.block_number() == 0) {
    params.AddNull();
  } else {
    absl::StatusOr<uint64_t> indexed = IndexedBlock(**connection);
    if (!indexed.ok()) return indexed.status();
    if (absl::Status above = AboveIndexed(request.block_number(), *indexed);
        !above.ok()) {
      return above;
    }
    params.Add(request.block_number());
  }
  absl::StatusOr<PgResult> rows = (*connection)->Exec(kBalances, params);
  if (!rows.ok()) return rows.status();
  for (int row = 0; row < rows->rows(); ++row) {
    v1::TokenBalance* balance = response.add_balances();
    const std::string token = Checksummed(rows->Get(row, 0));
    balance->set_chain_id(chain_id_);
    balance->set_token_address(token);
    const IndexedContract* contract =
        registry_.Find(*evm::Address::Parse(token));
    if (contract != nullptr) {
      balance->set_token_name(contract->name);
      const auto info = tokens_.find(contract->address);
      if (info != tokens_.end()) {
        balance->set_symbol(info->second.symbol);
        balance->set_decimals(info->second.decimals);
      }
    }
    balance->set_balance(std::string(rows->Get(row, 1)));
    balance->set_last_change_block(static_cast<uint64_t>(Int(*rows, row, 2)));
    balance->set_as_of_block(static_cast<uint64_t>(Int(*rows, row, 4)));
    SetTime(Int(*rows, row, 3), balance->mutable_last_change_time());
  }
  return response;
}

absl::StatusOr<v1::ListHoldersResponse> IndexQueries::ListHolders(
    const v1::ListHoldersRequest& request) {
  std::string token;
  if (!request.token_address().empty()) {
    absl::StatusOr<evm::Address> parsed =
        evm::Address::Parse(request.token_address(), "token_address");
    if (!parsed.ok()) return parsed.status();
    token = parsed->ToLowerHex().substr(2);
  }
  absl::StatusOr<int> size = PageSize(request.page_size(), 1000, 10000);
  if (!size.ok()) return size.status();
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<uint64_t> indexed = IndexedBlock(**connection);
  if (!indexed.ok()) return indexed.status();
  const uint64_t indexed_block = *indexed;
  // The block, then the last token and holder of the page before.
  std::vector<std::string> after = {
      absl::StrCat(request.block_number() == 0 ? indexed_block
                                               : request.block_number()),
      "", ""};
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> decoded =
        page_tokens_.Decode(request.page_token(), 3);
    if (!decoded.ok()) return decoded.status();
    after = *decoded;
  }
  uint64_t block = 0;
  if (!absl::SimpleAtoi(after[0], &block)) {
    return absl::InvalidArgumentError("page_token: not a page of holders");
  }
  if (absl::Status above = AboveIndexed(block, indexed_block); !above.ok()) {
    return above;
  }
  absl::StatusOr<PgResult> rows = (*connection)
                                      ->Exec(kHolders, PgParams()
                                                           .Add(chain_id_)
                                                           .Add(token)
                                                           .Add(block)
                                                           .Add(after[1])
                                                           .Add(after[2])
                                                           .Add(*size + 1));
  if (!rows.ok()) return rows.status();
  v1::ListHoldersResponse response;
  response.set_block_number(block);
  const int count = std::min(rows->rows(), *size);
  for (int row = 0; row < count; ++row) {
    v1::Holder* holder = response.add_holders();
    holder->set_token_address(Checksummed(rows->Get(row, 0)));
    holder->set_address(Checksummed(rows->Get(row, 1)));
    holder->set_balance(std::string(rows->Get(row, 2)));
  }
  if (rows->rows() > *size) {
    response.set_next_page_token(
        page_tokens_.Encode({after[0], std::string(rows->Get(*size - 1, 0)),
                             std::string(rows->Get(*size - 1, 1))}));
  }
  return response;
}

absl::StatusOr<v1::ListActivityResponse> IndexQueries::ListActivity(
    const v1::ListActivityRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  absl::StatusOr<int> size = PageSize(request.page_size(), 50, 500);
  if (!size.ok()) return size.status();
  std::vector<std::string> kinds;
  for (const int kind : request.kinds()) {
    absl::StatusOr<std::string> name = KindName(kind);
    if (!name.ok()) return name.status();
    kinds.push_back(*name);
  }
  std::vector<std::string> after = {absl::StrCat(kMaxInt64), "0", "~", "~"};
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> token =
        page_tokens_.Decode(request.page_token(), 4);
    if (!token.ok()) return token.status();
    after = *token;
  }
  v1::ListActivityResponse response;
  if (request.chain_id() != 0 && request.chain_id() != chain_id_)
    return response;
  PgParams params;
  params.Add(chain_id_).Add(account->ToLowerHex().substr(2));
  if (kinds.empty()) {
    params.AddNull();
  } else {
    params.AddArray(kinds);
  }
  params.Add(after[0]).Add(after[1]).Add(after[2]).Add(after[3]).Add(*size + 1);
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows = (*connection)->Exec(kActivity, params);
  if (!rows.ok()) return rows.status();
  const int count = std::min(rows->rows(), *size);
  for (int row = 0; row < count; ++row) {
    v1::Activity* activity = response.add_activities();
    activity->set_kind(KindOf(rows->Get(row, 2)));
    activity->set_direction(DirectionOf(rows->Get(row, 3)));
    activity->set_address(account->ToChecksumHex());
    activity->set_token_address(Checksummed(rows->Get(row, 4)));
    activity->set_amount(std::string(rows->Get(row, 5)));
    activity->set_counterparty(Checksummed(rows->Get(row, 6)));
    FillPosition(chain_id_, *rows, row, 0, 1, 10, 7, 11,
                 activity->mutable_position());
    SetTime(Int(*rows, row, 8), activity->mutable_block_time());
    if (absl::Status status =
            JsonInto(rows->Get(row, 9), activity->mutable_details());
        !status.ok()) {
      return status;
    }
  }
  if (rows->rows() > *size) {
    const int last = *size - 1;
    response.set_next_page_token(page_tokens_.Encode(
        {std::string(rows->Get(last, 0)), std::string(rows->Get(last, 1)),
         std::string(rows->Get(last, 2)), std::string(rows->Get(last, 3))}));
  }
  return response;
}

absl::StatusOr<v1::ListEventsResponse> IndexQueries::ListEvents(
    const v1::ListEventsRequest& request) {
  absl::StatusOr<int> size = PageSize(request.page_size(), 100, 1000);
  if (!size.ok()) return size.status();
  std::vector<std::string> contracts;
  for (const std::string& text : request.contract_addresses()) {
    absl::StatusOr<evm::Address> address =
        evm::Address::Parse(text, "contract_addresses");
    if (!address.ok()) return address.status();
    contracts.push_back(address->ToLowerHex().substr(2));
  }
  for (const std::string& name : request.event_names()) {
    if (!IsIdentifier(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event_names: ", QuoteValue(name), " is not an event name"));
    }
  }
  for (const auto& [field, block] :
       {std::pair{"from_block", request.from_block()},
        std::pair{"to_block", request.to_block()}}) {
    if (block > static_cast<uint64_t>(kMaxInt64)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", block, " is beyond the highest block number (",
          kMaxInt64, ")"));
    }
  }
  if (request.to_block() != 0 && request.to_block() < request.from_block()) {
    return absl::InvalidArgumentError(
        absl::StrCat("to_block ", request.to_block(), " is below from_block ",
                     request.from_block()));
  }
  std::vector<std::string> after = {"-1", "0"};
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> token =
        page_tokens_.Decode(request.page_token(), 2);
    if (!token.ok()) return token.status();
    after = *token;
  }
  v1::ListEventsResponse response;
  if (request.chain_id() != 0 && request.chain_id() != chain_id_)
    return response;
  PgParams params;
  params.Add(chain_id_);
  if (contracts.empty()) {
    params.AddNull();
  } else {
    params.AddArray(contracts);
  }
  if (request.event_names().empty()) {
    params.AddNull();
  } else {
    params.AddArray(std::vector<std::string>(request.event_names().begin(),
                                             request.event_names().end()));
  }
  params.Add(request.from_block())
      .Add(request.to_block() == 0 ? kMaxInt64
                                   : static_cast<int64_t>(request.to_block()))
      .Add(after[0])
      .Add(after[1])
      .Add(*size + 1);
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<uint64_t> indexed = IndexedBlock(**connection);
  if (!indexed.ok()) return indexed.status();
  absl::StatusOr<PgResult> rows = (*connection)->Exec(kEvents, params);
  if (!rows.ok()) return rows.status();
  const int count = std::min(rows->rows(), *size);
  for (int row = 0; row < count; ++row) {
    absl::StatusOr<v1::Event> event = EventFromRow(*rows, row, 1);
    if (!event.ok()) return event.status();
    event->set_sequence(static_cast<uint64_t>(Int(*rows, row, 0)));
    event->set_confirmations(static_cast<uint64_t>(std::max<int64_t>(
        0, static_cast<int64_t>(*indexed) - Int(*rows, row, 2))));
    *response.add_events() = *std::move(event);
  }
  if (rows->rows() > *size) {
    response.set_next_page_token(
        page_tokens_.Encode({std::string(rows->Get(*size - 1, 2)),
                             std::string(rows->Get(*size - 1, 4))}));
  }
  return response;
}

absl::StatusOr<v1::ListEmergencyBurnsResponse> IndexQueries::ListEmergencyBurns(
    const v1::ListEmergencyBurnsRequest& request) {
  absl::StatusOr<evm::Address> account =
      evm::Address::Parse(request.address(), "address");
  if (!account.ok()) return account.status();
  absl::StatusOr<int> size = PageSize(request.page_size(), 50, 500);
  if (!size.ok()) return size.status();
  std::vector<std::string> after = {absl::StrCat(kMaxInt64), "0"};
  if (!request.page_token().empty()) {
    absl::StatusOr<std::vector<std::string>> token =
        page_tokens_.Decode(request.page_token(), 2);
    if (!token.ok()) return token.status();
    after = *token;
  }
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows =
      (*connection)
          ->Exec(kBurns, PgParams()
                             .Add(chain_id_)
                             .Add(account->ToLowerHex().substr(2))
                             .Add(after[0])
                             .Add(after[1])
                             .Add(*size + 1));
  if (!rows.ok()) return rows.status();
  v1::ListEmergencyBurnsResponse response;
  const int count = std::min(rows->rows(), *size);
  for (int row = 0; row < count; ++row) {
    v1::EmergencyBurn* burn = response.add_burns();
    burn->set_address(account->ToChecksumHex());
    burn->set_amount_sats(std::string(rows->Get(row, 2)));
    burn->set_reason(std::string(rows->Get(row, 3)));
    FillPosition(chain_id_, *rows, row, 0, 1, 6, 4, 7,
                 burn->mutable_position());
    SetTime(Int(*rows, row, 5), burn->mutable_block_time());
  }
  if (rows->rows() > *size) {
    response.set_next_page_token(
        page_tokens_.Encode({std::string(rows->Get(*size - 1, 1)),
                             std::string(rows->Get(*size - 1, 3))}));
  }
  absl::StatusOr<PgResult> stats =
      (*connection)->Exec(kBurnStats, PgParams().Add(chain_id_));
  if (!stats.ok()) return stats.status();
  v1::EmergencyBurnStats* system = response.mutable_system_stats();
  system->set_burn_count(static_cast<uint64_t>(Int(*stats, 0, 0)));
  system->set_total_burned_sats(std::string(stats->Get(0, 1)));
  system->set_affected_accounts(static_cast<uint64_t>(Int(*stats, 0, 2)));
  if (Int(*stats, 0, 3) > 0)
    SetTime(Int(*stats, 0, 3), system->mutable_last_burn_time());
  return response;
}

v1::ListContractsResponse IndexQueries::ListContracts() const {
  v1::ListContractsResponse response;
  for (const auto& contract : registry_.contracts()) {
    v1::IndexedContract* entry = response.add_contracts();
    entry->set_chain_id(chain_id_);
    entry->set_name(contract->name);
    entry->set_address(contract->address.ToChecksumHex());
    entry->set_start_block(contract->start_block);
    entry->set_has_code(true);  // checked at start-up
    bool token = false;
    for (const evm::AbiEvent& event : contract->abi.events()) {
      entry->add_event_names(event.name());
      token = token || event.signature() == "Transfer(address,address,uint256)";
    }
    if (token) entry->add_projections("balances");
    entry->add_projections("activity");
  }
  return response;
}

}  // namespace chainsync::indexer
