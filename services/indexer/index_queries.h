#pragma once

// The indexer's read side: what its gRPC API answers, from the tables the
// chain follower writes. Inputs are validated here (addresses, page sizes,
// page tokens) so that a bad request is INVALID_ARGUMENT naming the field.

#include "chainsync/indexer/v1/indexer.pb.h"
#include "libs/common/api/page_tokens.h"
#include "libs/common/postgres/pool.h"
#include "services/indexer/contract_registry.h"

namespace chainsync::indexer {

// TokenInfo is what a token contract says of itself.
struct TokenInfo {
  std::string symbol;
  uint32_t decimals = 0;
};

class IndexQueries {
 public:
  IndexQueries(PgPool& pool, uint64_t chain_id,
               const ContractRegistry& registry,
               absl::flat_hash_map<evm::Address, TokenInfo> tokens,
               Secret page_token_key)
      : pool_(pool),
        chain_id_(chain_id),
        registry_(registry),
        tokens_(std::move(tokens)),
        page_tokens_(std::move(page_token_key)) {}

  absl::StatusOr<v1::GetBalancesResponse> GetBalances(
      const v1::GetBalancesRequest& request);
  absl::StatusOr<v1::ListActivityResponse> ListActivity(
      const v1::ListActivityRequest& request);
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request);
  absl::StatusOr<v1::ListEmergencyBurnsResponse> ListEmergencyBurns(
      const v1::ListEmergencyBurnsRequest& request);
  absl::StatusOr<v1::ListHoldersResponse> ListHolders(
      const v1::ListHoldersRequest& request);
  v1::ListContractsResponse ListContracts() const;

 private:
  // IndexedBlock is the chain's cursor, 0 before the first batch.
  absl::StatusOr<uint64_t> IndexedBlock(PgConnection& connection) const;

  PgPool& pool_;
  uint64_t chain_id_;
  const ContractRegistry& registry_;
  absl::flat_hash_map<evm::Address, TokenInfo> tokens_;
  PageTokens page_tokens_;
};

}  // namespace chainsync::indexer
