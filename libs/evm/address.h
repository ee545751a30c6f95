#pragma once

#include <array>
#include <compare>
#include <string>

#include "libs/evm/bytes.h"

namespace chainsync::evm {

// Address is a 20-byte account or contract address.
class Address {
 public:
  Address() : bytes_{} {}
  explicit Address(const std::array<uint8_t, 20>& bytes) : bytes_(bytes) {}

  // Parse reads "0x" and 40 hex digits. All-lower or all-upper digits are
  // accepted as they are; mixed case must be a valid EIP-55 checksum, so a
  // mistyped address is caught. Errors name `field` and the problem (an
  // empty one: "<field> is required").
  static absl::StatusOr<Address> Parse(absl::string_view text,
                                       absl::string_view field = "address");

  // FromWord takes the low 20 bytes of a 32-byte ABI word or topic.
  static Address FromWord(ByteSpan word);

  // ToChecksumHex renders the EIP-55 mixed-case form.
  std::string ToChecksumHex() const;
  // ToLowerHex renders "0x" and lower-case hex, as stored and compared.
  std::string ToLowerHex() const { return ToHex(bytes_); }

  const std::array<uint8_t, 20>& bytes() const { return bytes_; }

  friend auto operator<=>(const Address&, const Address&) = default;
  template <typename H>
  friend H AbslHashValue(H state, const Address& address) {
    return H::combine(std::move(state), address.bytes_);
  }

 private:
  std::array<uint8_t, 20> bytes_;
};

}  // namespace chainsync::evm
