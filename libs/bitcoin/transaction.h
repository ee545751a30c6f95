#pragma once

// Bitcoin transactions and block headers in their consensus serialization,
// and the hashes that name them. Hashes are kept in internal byte order;
// Hex() renders them as explorers and RPCs show them (byte-reversed).

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "libs/bitcoin/encoding.h"
#include "libs/crypto/hashes.h"

namespace chainsync::bitcoin {

using Hash256 = crypto::Digest32;

// Hex renders a transaction or block hash as displayed: byte-reversed hex.
std::string Hex(const Hash256& hash);
// ParseHash reads a displayed hash; false unless it is 64 hex digits.
bool ParseHash(absl::string_view text, Hash256* hash);

// AppendVarint appends Bitcoin's CompactSize encoding of `value`.
void AppendVarint(Bytes* out, uint64_t value);
// AppendLittleEndian appends the low `bytes` bytes of `value`.
void AppendLittleEndian(Bytes* out, uint64_t value, int bytes);

struct OutPoint {
  Hash256 txid{};
  uint32_t vout = 0;

  // The coinbase input spends no output: a null hash and index 0xffffffff.
  bool is_null() const { return vout == 0xffffffff && txid == Hash256{}; }
  friend bool operator<(const OutPoint& a, const OutPoint& b) {
    return a.txid != b.txid ? a.txid < b.txid : a.vout < b.vout;
  }
  friend bool operator==(const OutPoint& a, const OutPoint& b) {
    return a.txid == b.txid && a.vout == b.vout;
  }
  template <typename H>
  friend H AbslHashValue(H state, const OutPoint& outpoint) {
    return H::combine(std::move(state), outpoint.txid, outpoint.vout);
  }
};

struct TxIn {
  OutPoint previous;
  Bytes script_sig;
  uint32_t sequence = 0xffffffff;
};

struct TxOut {
  int64_t value_sats = 0;
  Bytes script_pubkey;
};

struct Transaction {
  int32_t version = 2;
  std::vector<TxIn> inputs;
  std::vector<TxOut> outputs;
  uint32_t locktime = 0;

  bool is_coinbase() const {
    return inputs.size() == 1 && inputs[0].previous.is_null();
  }
  // Serialize writes the transaction without witness data, which is what
  // its txid commits to.
  Bytes Serialize() const;
  Hash256 Txid() const;
};

struct BlockHeader {
  int32_t version = 0x20000000;
  Hash256 previous{};
  Hash256 merkle_root{};
  uint32_t time = 0;
  uint32_t bits = 0x207fffff;  // regtest's minimum difficulty
  uint32_t nonce = 0;

  // Serialize writes the 80 bytes the block hash commits to.
  Bytes Serialize() const;
  Hash256 Hash() const;
};

// MerkleRoot is the root of the transaction hashes as a block commits to
// them (the last hash of an odd level paired with itself).
Hash256 MerkleRoot(std::vector<Hash256> hashes);

// ScriptType names an output script as Esplora does: p2pkh, p2sh,
// v0_p2wpkh, v0_p2wsh, v1_p2tr, op_return, or unknown.
std::string ScriptType(absl::Span<const uint8_t> script);
// ScriptAsm renders a script's opcodes and pushes as Bitcoin Core does.
std::string ScriptAsm(absl::Span<const uint8_t> script);

}  // namespace chainsync::bitcoin
