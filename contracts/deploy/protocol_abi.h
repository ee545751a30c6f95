#pragma once

// The reference protocol's functions and events that the services call and
// read by signature, parsed once: the oracle sends syncs and burns and reads
// what it mirrored, the reconciler reads balances, supply and the oracle
// contract's events and publishes the roots of its proofs of reserves.

#include "libs/evm/contract_abi.h"
#include "libs/evm/keccak.h"

namespace chainsync::contracts::protocol {

// OracleAggregator.
const evm::AbiFunction& Sync();
const evm::AbiFunction& SyncBatch();
const evm::AbiFunction& EmergencyBurn();
const evm::AbiFunction& SyncedBalance();
const evm::Hash& SyncedTopic();
const evm::Hash& EmergencyBurnTopic();

// ReserveProofs.
const evm::AbiFunction& PublishReserves();
const evm::AbiFunction& RootOf();
const evm::Hash& ReservesProvedTopic();

// RBTCSynth (any ERC-20).
const evm::AbiFunction& BalanceOf();
const evm::AbiFunction& TotalSupply();

}  // namespace chainsync::contracts::protocol
