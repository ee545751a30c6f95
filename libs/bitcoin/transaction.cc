#include "libs/bitcoin/transaction.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace chainsync::bitcoin {
namespace {

void Append(Bytes* out, absl::Span<const uint8_t> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}

std::string HexOf(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace

std::string Hex(const Hash256& hash) {
  Hash256 reversed = hash;
  std::reverse(reversed.begin(), reversed.end());
  return HexOf(reversed);
}

bool ParseHash(absl::string_view text, Hash256* hash) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  const std::string bytes = absl::HexStringToBytes(text);
  std::copy(bytes.rbegin(), bytes.rend(), hash->begin());
  return true;
}

void AppendLittleEndian(Bytes* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out->push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
}

void AppendVarint(Bytes* out, uint64_t value) {
  if (value < 0xfd) {
    out->push_back(static_cast<uint8_t>(value));
  } else if (value <= 0xffff) {
    out->push_back(0xfd);
    AppendLittleEndian(out, value, 2);
  } else if (value <= 0xffffffff) {
    out->push_back(0xfe);
    AppendLittleEndian(out, value, 4);
  } else {
    out->push_back(0xff);
    AppendLittleEndian(out, value, 8);
  }
}

Bytes Transaction::Serialize() const {
  Bytes out;
  AppendLittleEndian(&out, static_cast<uint32_t>(version), 4);
  AppendVarint(&out, inputs.size());
  for (const TxIn& input : inputs) {
    Append(&out, input.previous.txid);
    AppendLittleEndian(&out, input.previous.vout, 4);
    AppendVarint(&out, input.script_sig.size());
    Append(&out, input.script_sig);
    AppendLittleEndian(&out, input.sequence, 4);
  }
  AppendVarint(&out, outputs.size());
  for (const TxOut& output : outputs) {
    AppendLittleEndian(&out, static_cast<uint64_t>(output.value_sats), 8);
    AppendVarint(&out, output.script_pubkey.size());
    Append(&out, output.script_pubkey);
  }
  AppendLittleEndian(&out, locktime, 4);
  return out;
}

Hash256 Transaction::Txid() const { return crypto::Sha256d(Serialize()); }

Bytes BlockHeader::Serialize() const {
  Bytes out;
  AppendLittleEndian(&out, static_cast<uint32_t>(version), 4);
  Append(&out, previous);
  Append(&out, merkle_root);
  AppendLittleEndian(&out, time, 4);
  AppendLittleEndian(&out, bits, 4);
  AppendLittleEndian(&out, nonce, 4);
  return out;
}

Hash256 BlockHeader::Hash() const { return crypto::Sha256d(Serialize()); }

Hash256 MerkleRoot(std::vector<Hash256> hashes) {
  if (hashes.empty()) return Hash256{};
  while (hashes.size() > 1) {
    if (hashes.size() % 2 == 1) hashes.push_back(hashes.back());
    std::vector<Hash256> level;
    level.reserve(hashes.size() / 2);
    for (size_t i = 0; i < hashes.size(); i += 2) {
      Bytes pair(hashes[i].begin(), hashes[i].end());
      Append(&pair, hashes[i + 1]);
      level.push_back(crypto::Sha256d(pair));
    }
    hashes = std::move(level);
  }
  return hashes.front();
}

std::string ScriptType(absl::Span<const uint8_t> script) {
  const size_t n = script.size();
  if (n == 25 && script[0] == 0x76 && script[1] == 0xa9 && script[2] == 20 &&
      script[23] == 0x88 && script[24] == 0xac) {
    return "p2pkh";
  }
  if (n == 23 && script[0] == 0xa9 && script[1] == 20 && script[22] == 0x87) {
    return "p2sh";
  }
  if (n == 22 && script[0] == 0x00 && script[1] == 20) return "v0_p2wpkh";
  if (n == 34 && script[0] == 0x00 && script[1] == 32) return "v0_p2wsh";
  if (n == 34 && script[0] == 0x51 && script[1] == 32) return "v1_p2tr";
  if (n > 0 && script[0] == 0x6a) return "op_return";
  return "unknown";
}

std::string ScriptAsm(absl::Span<const uint8_t> script) {
  std::string out;
  for (size_t i = 0; i < script.size();) {
    if (!out.empty()) out += " ";
    const uint8_t op = script[i++];
    if (op >= 0x01 && op <= 0x4b) {
      const size_t n = std::min<size_t>(op, script.size() - i);
      absl::StrAppend(&out, "OP_PUSHBYTES_", op, " ",
                      HexOf(script.subspan(i, n)));
      i += n;
      continue;
    }
    if (op >= 0x51 && op <= 0x60) {
      absl::StrAppend(&out, "OP_PUSHNUM_", op - 0x50);
      continue;
    }
    switch (op) {
      case 0x00:
        out += "OP_0";
        break;
      case 0x6a:
        out += "OP_RETURN";
        break;
      case 0x76:
        out += "OP_DUP";
        break;
      case 0x87:
        out += "OP_EQUAL";
        break;
      case 0x88:
        out += "OP_EQUALVERIFY";
        break;
      case 0xa9:
        out += "OP_HASH160";
        break;
      case 0xac:
        out += "OP_CHECKSIG";
        break;
      default:
        absl::StrAppend(&out, "OP_UNKNOWN_", op);
    }
  }
  return out;
}

}  // namespace chainsync::bitcoin
