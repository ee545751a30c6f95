#pragma once

// Projections: what the indexed events mean for accounts. Token transfers
// move balances; they and the protocol's events become each account's history
// (mint, burn, transfer, sync, emergency burn, wrap, unwrap, yield, fee).
// The rules key on canonical event signatures, so any contract emitting a
// standard Transfer(address,address,uint256) is a token.

#include <optional>
#include <string>
#include <vector>

#include "services/indexer/contract_registry.h"

namespace chainsync::indexer {

// ActivityRow is one entry of an account's history.
struct ActivityRow {
  evm::Address account;
  uint64_t block_number = 0;
  uint32_t log_index = 0;
  std::string kind;       // "mint", "burn", "transfer", "sync", ...
  std::string direction;  // "in", "out", "none"
  std::optional<evm::Address> token;
  std::optional<evm::Uint256> amount;
  std::optional<evm::Address> counterparty;
  evm::Hash transaction_hash{};
  // Kind-specific values as a JSON object.
  std::string details_json = "{}";
  // The row moves the account's balance of `token` by `amount`: credited
  // when the direction is "in", debited when "out". The store records the
  // balance after it.
  bool moves_balance = false;
};

// Project appends what one decoded event changes. Undecodable events change
// nothing.
void Project(const DecodedEvent& event, std::vector<ActivityRow>* activity);

}  // namespace chainsync::indexer
