#include "libs/evm/uint256.h"

#include <algorithm>

#include "libs/common/status.h"

namespace chainsync::evm {

absl::StatusOr<Uint256> ParseUint256(absl::string_view text,
                                     absl::string_view field) {
  const bool hex =
      text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const absl::string_view digits = hex ? text.substr(2) : text;
  if (digits.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty number"));
  }
  // Parse into a wider type so that overflow is seen instead of wrapped.
  boost::multiprecision::uint512_t value = 0;
  const boost::multiprecision::uint512_t limit =
      boost::multiprecision::uint512_t(1) << 256;
  for (const char c : digits) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", QuoteValue(text), " is not a ",
                       hex ? "hex" : "decimal", " number"));
    }
    value = value * (hex ? 16 : 10) + digit;
    if (value >= limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", QuoteValue(text), " does not fit in 256 bits"));
    }
  }
  return static_cast<Uint256>(value);
}

std::string ToDecimal(const Uint256& value) { return value.str(); }
std::string ToDecimal(const Int256& value) { return value.str(); }

std::string ToQuantity(const Uint256& value) {
  if (value == 0) return "0x0";
  const Hash word = ToWord(value);
  std::string hex = ToHex(word);
  const size_t first = hex.find_first_not_of('0', 2);
  return "0x" + hex.substr(first);
}

Hash ToWord(const Uint256& value) {
  Hash word{};
  // export_bits writes the minimal big-endian form; right-align it.
  Bytes minimal;
  boost::multiprecision::export_bits(value, std::back_inserter(minimal), 8);
  std::copy(minimal.begin(), minimal.end(), word.end() - minimal.size());
  return word;
}

Uint256 FromBigEndian(ByteSpan bytes) {
  Uint256 value = 0;
  if (!bytes.empty()) {
    boost::multiprecision::import_bits(value, bytes.begin(), bytes.end(), 8);
  }
  return value;
}

}  // namespace chainsync::evm
