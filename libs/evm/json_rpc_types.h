#pragma once

// The values Ethereum's JSON-RPC API exchanges, typed.

#include <optional>
#include <string>
#include <vector>

#include "libs/evm/address.h"
#include "libs/evm/uint256.h"

namespace chainsync::evm {

// BlockRef names a block by number or by tag.
class BlockRef {
 public:
  static BlockRef Number(uint64_t number) { return BlockRef(number, ""); }
  static BlockRef Latest() { return BlockRef(0, "latest"); }
  static BlockRef Finalized() { return BlockRef(0, "finalized"); }
  static BlockRef Safe() { return BlockRef(0, "safe"); }
  static BlockRef Pending() { return BlockRef(0, "pending"); }

  // Param is the JSON-RPC parameter: "0x1b4" or "latest".
  std::string Param() const;

 private:
  BlockRef(uint64_t number, absl::string_view tag)
      : number_(number), tag_(tag) {}
  uint64_t number_;
  std::string tag_;
};

struct BlockHeader {
  uint64_t number = 0;
  Hash hash{};
  Hash parent_hash{};
  uint64_t timestamp = 0;
  std::optional<Uint256> base_fee_per_gas;
};

struct Log {
  Address address;
  std::vector<Hash> topics;
  Bytes data;
  uint64_t block_number = 0;
  Hash block_hash{};
  Hash transaction_hash{};
  uint32_t transaction_index = 0;
  uint32_t log_index = 0;
  // Set by nodes in subscriptions and filters when a reorg removed the log.
  bool removed = false;
};

// LogFilter is an eth_getLogs query: a block range (or one block hash),
// emitting addresses, and per-position topic alternatives.
struct LogFilter {
  uint64_t from_block = 0;
  uint64_t to_block = 0;
  std::optional<Hash> block_hash;
  std::vector<Address> addresses;
  // topics[i] lists the values allowed at position i; an empty list allows
  // anything there.
  std::vector<std::vector<Hash>> topics;
};

struct Receipt {
  Hash transaction_hash{};
  uint64_t block_number = 0;
  Hash block_hash{};
  bool success = false;
  uint64_t gas_used = 0;
  Uint256 effective_gas_price = 0;
  std::optional<Address> contract_address;
  std::vector<Log> logs;
};

struct FeeHistory {
  uint64_t oldest_block = 0;
  std::vector<Uint256> base_fee_per_gas;
  std::vector<double> gas_used_ratio;
  // reward[block][percentile]
  std::vector<std::vector<Uint256>> reward;
};

// CallRequest is the transaction object of eth_call and eth_estimateGas.
struct CallRequest {
  std::optional<Address> from;
  std::optional<Address> to;
  Bytes data;
  Uint256 value = 0;
  std::optional<uint64_t> gas;
};

}  // namespace chainsync::evm
