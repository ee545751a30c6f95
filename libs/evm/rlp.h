#pragma once

// Recursive Length Prefix, Ethereum's serialization of transactions.

#include <vector>

#include "libs/evm/bytes.h"
#include "libs/evm/uint256.h"

namespace chainsync::evm {

// RlpItem is a decoded RLP value: a byte string or a list. String payloads
// are views into the decoded input, which must outlive the item.
struct RlpItem {
  bool is_list = false;
  ByteSpan bytes;
  std::vector<RlpItem> list;
};

// RlpDecode decodes exactly one item. Truncated input, lengths beyond the
// input, non-canonical encodings (a length with leading zeros, a long form
// for a short payload, a single byte below 0x80 wrapped in a string),
// trailing bytes and nesting deeper than 64 lists are INVALID_ARGUMENT with
// the offset; the decoder never reads past the input.
absl::StatusOr<RlpItem> RlpDecode(ByteSpan input);

// RlpList builds the encoding of a list item by item.
class RlpList {
 public:
  RlpList& AddBytes(ByteSpan payload);
  // AddUint adds an integer as minimal big-endian bytes (0 is the empty
  // string).
  RlpList& AddUint(const Uint256& value);
  // AddEncoded adds an item that is already RLP, such as a nested list.
  RlpList& AddEncoded(ByteSpan encoded);

  // Encode returns the list with its header.
  Bytes Encode() const;

 private:
  Bytes payload_;
};

// RlpEncodeBytes returns the encoding of one byte string.
Bytes RlpEncodeBytes(ByteSpan payload);

}  // namespace chainsync::evm
