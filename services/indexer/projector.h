#pragma once

// Projections: what the indexed events mean for accounts. Token transfers
// move balances; they and the protocol's events become each account's history
// (mint, burn, transfer, sync, emergency burn, wrap, unwrap, yield, fee).
// The rules key on canonical event signatures, so any contract emitting a
// standard Transfer(address,address,uint256) is a token.

#include <vector>

#include "services/indexer/contract_registry.h"
#include "services/indexer/ledger.h"

namespace chainsync::indexer {

// Project appends what one decoded event changes. Undecodable events change
// nothing.
void Project(const DecodedEvent& event, std::vector<ActivityRow>* activity);

}  // namespace chainsync::indexer
