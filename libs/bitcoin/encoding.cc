#include "libs/bitcoin/encoding.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/crypto/hashes.h"

namespace chainsync::bitcoin {
namespace {

constexpr char kBase58Alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr char kBech32Alphabet[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Constant = 1;
constexpr uint32_t kBech32mConstant = 0x2bc830a3;

uint32_t Polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGenerator[] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                            0x3d4233dd, 0x2a1462b3};
  uint32_t checksum = 1;
  for (const uint8_t value : values) {
    const uint32_t top = checksum >> 25;
    checksum = (checksum & 0x1ffffff) << 5 ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[i];
    }
  }
  return checksum;
}

std::vector<uint8_t> ExpandHrp(absl::string_view hrp) {
  std::vector<uint8_t> expanded;
  for (const char c : hrp) expanded.push_back(static_cast<uint8_t>(c) >> 5);
  expanded.push_back(0);
  for (const char c : hrp) expanded.push_back(static_cast<uint8_t>(c) & 31);
  return expanded;
}

// Regroups bits (8 to 5 when encoding, 5 to 8 when decoding); when decoding,
// leftover bits must be zero padding of under 5 bits.
bool ConvertBits(absl::Span<const uint8_t> in, int from, int to, bool pad,
                 std::vector<uint8_t>* out) {
  uint32_t accumulator = 0;
  int bits = 0;
  const uint32_t mask = (1u << to) - 1;
  for (const uint8_t value : in) {
    if (value >> from) return false;
    accumulator = accumulator << from | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out->push_back(static_cast<uint8_t>((accumulator >> bits) & mask));
    }
  }
  if (pad) {
    if (bits > 0)
      out->push_back(static_cast<uint8_t>((accumulator << (to - bits)) & mask));
  } else if (bits >= from || ((accumulator << (to - bits)) & mask) != 0) {
    return false;
  }
  return true;
}

}  // namespace

std::string Base58CheckEncode(absl::Span<const uint8_t> payload) {
  Bytes data(payload.begin(), payload.end());
  const crypto::Digest32 checksum = crypto::Sha256d(payload);
  data.insert(data.end(), checksum.begin(), checksum.begin() + 4);
  // Base 256 to base 58, by repeated division of the big-endian number.
  std::vector<uint8_t> digits;
  for (const uint8_t byte : data) {
    int carry = byte;
    for (uint8_t& digit : digits) {
      carry += digit << 8;
      digit = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string text;
  for (const uint8_t byte : data) {
    if (byte != 0) break;
    text.push_back('1');
  }
  for (auto it = digits.rbegin(); it != digits.rend(); ++it)
    text.push_back(kBase58Alphabet[*it]);
  return text;
}

absl::StatusOr<Bytes> Base58CheckDecode(absl::string_view text) {
  Bytes bytes;
  for (size_t position = 0; position < text.size(); ++position) {
    const char* found = std::strchr(kBase58Alphabet, text[position]);
    if (text[position] == '\0' || found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid base58 character '", text.substr(position, 1),
                       "' at position ", position));
    }
    int carry = static_cast<int>(found - kBase58Alphabet);
    for (uint8_t& byte : bytes) {
      carry += byte * 58;
      byte = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  for (const char c : text) {
    if (c != '1') break;
    bytes.push_back(0);
  }
  std::reverse(bytes.begin(), bytes.end());
  if (bytes.size() < 4)
    return absl::InvalidArgumentError("base58 text too short for a checksum");
  const Bytes payload(bytes.begin(), bytes.end() - 4);
  const crypto::Digest32 checksum = crypto::Sha256d(payload);
  if (!std::equal(checksum.begin(), checksum.begin() + 4, bytes.end() - 4)) {
    return absl::InvalidArgumentError("base58 checksum mismatch");
  }
  return payload;
}

std::string EncodeSegwit(absl::string_view hrp, int version,
                         absl::Span<const uint8_t> program) {
  std::vector<uint8_t> data = {static_cast<uint8_t>(version)};
  ConvertBits(program, 8, 5, true, &data);
  std::vector<uint8_t> values = ExpandHrp(hrp);
  values.insert(values.end(), data.begin(), data.end());
  values.resize(values.size() + 6, 0);
  const uint32_t constant = version == 0 ? kBech32Constant : kBech32mConstant;
  const uint32_t checksum = Polymod(values) ^ constant;
  std::string text = absl::StrCat(hrp, "1");
  for (const uint8_t value : data) text.push_back(kBech32Alphabet[value]);
  for (int i = 0; i < 6; ++i)
    text.push_back(kBech32Alphabet[(checksum >> (5 * (5 - i))) & 31]);
  return text;
}

absl::StatusOr<SegwitProgram> DecodeSegwit(absl::string_view text) {
  if (text.size() > 90)
    return absl::InvalidArgumentError(
        "bech32 address longer than 90 characters");
  const bool has_lower =
      std::any_of(text.begin(), text.end(), absl::ascii_islower);
  const bool has_upper =
      std::any_of(text.begin(), text.end(), absl::ascii_isupper);
  if (has_lower && has_upper)
    return absl::InvalidArgumentError(
        "bech32 address mixes upper and lower case");
  const std::string lower = absl::AsciiStrToLower(text);
  const size_t separator = lower.rfind('1');
  if (separator == std::string::npos || separator == 0 ||
      separator + 7 > lower.size()) {
    return absl::InvalidArgumentError(
        "bech32 address has no valid separator '1'");
  }
  SegwitProgram decoded;
  decoded.hrp = lower.substr(0, separator);
  std::vector<uint8_t> data;
  for (size_t i = separator + 1; i < lower.size(); ++i) {
    const char* found = std::strchr(kBech32Alphabet, lower[i]);
    if (lower[i] == '\0' || found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid bech32 character '", lower.substr(i, 1),
                       "' at position ", i));
    }
    data.push_back(static_cast<uint8_t>(found - kBech32Alphabet));
  }
  std::vector<uint8_t> values = ExpandHrp(decoded.hrp);
  values.insert(values.end(), data.begin(), data.end());
  const uint32_t residue = Polymod(values);
  if (residue == kBech32Constant) {
    decoded.variant = Bech32Variant::kBech32;
  } else if (residue == kBech32mConstant) {
    decoded.variant = Bech32Variant::kBech32m;
  } else {
    return absl::InvalidArgumentError("bech32 checksum mismatch");
  }
  data.resize(data.size() - 6);
  if (data.empty())
    return absl::InvalidArgumentError("bech32 address has no witness version");
  decoded.version = data[0];
  if (decoded.version > 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid witness version ", decoded.version));
  }
  const bool version_zero = decoded.version == 0;
  if (version_zero != (decoded.variant == Bech32Variant::kBech32)) {
    return absl::InvalidArgumentError(
        absl::StrCat("witness version ", decoded.version, " needs the ",
                     version_zero ? "bech32" : "bech32m", " checksum"));
  }
  if (!ConvertBits(absl::Span<const uint8_t>(data).subspan(1), 5, 8, false,
                   &decoded.program)) {
    return absl::InvalidArgumentError("bech32 address has invalid padding");
  }
  if (decoded.program.size() < 2 || decoded.program.size() > 40) {
    return absl::InvalidArgumentError(absl::StrCat("witness program of ",
                                                   decoded.program.size(),
                                                   " bytes (2 to 40 allowed)"));
  }
  if (version_zero && decoded.program.size() != 20 &&
      decoded.program.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("version 0 witness program of ", decoded.program.size(),
                     " bytes (20 or 32 allowed)"));
  }
  return decoded;
}

}  // namespace chainsync::bitcoin
