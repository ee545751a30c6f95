#include "contracts/deploy/protocol_abi.h"

namespace chainsync::contracts::protocol {

const evm::AbiFunction& Sync() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("sync(address,uint256,uint256)");
  return function;
}

const evm::AbiFunction& SyncBatch() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("syncBatch(address[],uint256[],uint256[])");
  return function;
}

const evm::AbiFunction& EmergencyBurn() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("emergencyBurn(address,string)");
  return function;
}

const evm::AbiFunction& SyncedBalance() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("syncedBalance(address) returns (uint256)");
  return function;
}

const evm::AbiFunction& PublishReserves() {
  static const evm::AbiFunction function = *evm::AbiFunction::Parse(
      "publish(uint256,bytes32,uint256,uint256,uint256,uint256)");
  return function;
}

const evm::AbiFunction& RootOf() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("rootOf(uint256) returns (bytes32)");
  return function;
}

const evm::Hash& ReservesProvedTopic() {
  static const evm::Hash topic = evm::Keccak256(
      "ReservesProved(uint256,bytes32,uint256,uint256,uint256,uint256)");
  return topic;
}

const evm::AbiFunction& BalanceOf() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("balanceOf(address) returns (uint256)");
  return function;
}

const evm::AbiFunction& TotalSupply() {
  static const evm::AbiFunction function =
      *evm::AbiFunction::Parse("totalSupply() returns (uint256)");
  return function;
}

const evm::Hash& SyncedTopic() {
  static const evm::Hash topic =
      evm::Keccak256("Synced(address,uint256,uint256,uint256)");
  return topic;
}

const evm::Hash& EmergencyBurnTopic() {
  static const evm::Hash topic =
      evm::Keccak256("EmergencyBurn(address,uint256,string)");
  return topic;
}

}  // namespace chainsync::contracts::protocol
