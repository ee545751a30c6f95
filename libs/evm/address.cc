#include "libs/evm/address.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/status.h"
#include "libs/evm/keccak.h"

namespace chainsync::evm {

absl::StatusOr<Address> Address::Parse(absl::string_view text,
                                       absl::string_view field) {
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  if (text.size() != 42 || text[0] != '0' ||
      (text[1] != 'x' && text[1] != 'X')) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", QuoteValue(text),
                     " is not an address (0x and 40 hex digits)"));
  }
  absl::StatusOr<std::array<uint8_t, 20>> bytes = FixedFromHex<20>(text, field);
  if (!bytes.ok()) return bytes.status();
  Address address(*bytes);
  const absl::string_view digits = text.substr(2);
  const bool has_lower = std::any_of(digits.begin(), digits.end(), [](char c) {
    return absl::ascii_islower(c);
  });
  const bool has_upper = std::any_of(digits.begin(), digits.end(), [](char c) {
    return absl::ascii_isupper(c);
  });
  if (has_lower && has_upper &&
      address.ToChecksumHex().substr(2) != std::string(digits)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", QuoteValue(text),
                     " has a wrong EIP-55 checksum (expected ",
                     address.ToChecksumHex(), ")"));
  }
  return address;
}

Address Address::FromWord(ByteSpan word) {
  std::array<uint8_t, 20> bytes{};
  const size_t take = std::min<size_t>(20, word.size());
  std::copy(word.end() - take, word.end(), bytes.end() - take);
  return Address(bytes);
}

std::string Address::ToChecksumHex() const {
  // Checksums are kept: a Keccak each costs more than a lookup, and the
  // indexer renders the same holders' addresses in event after event.
  static constexpr size_t kKept = 1 << 16;
  static absl::Mutex mu;
  static auto& kept = *new absl::flat_hash_map<Address, std::string>();
  {
    absl::MutexLock lock(&mu);
    if (const auto found = kept.find(*this); found != kept.end())
      return found->second;
  }
  std::string hex = ToLowerHex();
  const Hash digest = Keccak256(absl::string_view(hex).substr(2));
  for (size_t i = 0; i < 40; ++i) {
    const uint8_t nibble = (digest[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
    if (nibble >= 8) hex[2 + i] = absl::ascii_toupper(hex[2 + i]);
  }
  absl::MutexLock lock(&mu);
  if (kept.size() >= kKept) kept.clear();
  kept.emplace(*this, hex);
  return hex;
}

}  // namespace chainsync::evm
