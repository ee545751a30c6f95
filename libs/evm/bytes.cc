#include "libs/evm/bytes.h"

namespace chainsync::evm {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ToHex(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(2 + 2 * bytes.size(), '0');
  text[1] = 'x';
  for (size_t i = 0; i < bytes.size(); ++i) {
    text[2 + 2 * i] = kDigits[bytes[i] >> 4];
    text[3 + 2 * i] = kDigits[bytes[i] & 0xF];
  }
  return text;
}

absl::StatusOr<Bytes> FromHex(absl::string_view text, absl::string_view field) {
  size_t start = 0;
  if (text.size() >= 2 && text[0] == '0' &&
      (text[1] == 'x' || text[1] == 'X')) {
    start = 2;
  }
  const size_t digits = text.size() - start;
  if (digits % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": hex has an odd number of digits (", digits, ")"));
  }
  Bytes bytes(digits / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int high = HexValue(text[start + 2 * i]);
    const int low = HexValue(text[start + 2 * i + 1]);
    if (high < 0 || low < 0) {
      const size_t bad = start + 2 * i + (high < 0 ? 0 : 1);
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": invalid hex character '", absl::string_view(&text[bad], 1),
          "' at position ", bad));
    }
    bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return bytes;
}

}  // namespace chainsync::evm
