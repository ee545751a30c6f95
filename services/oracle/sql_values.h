#pragma once

// How the oracle's stores pass values Postgres keeps as bytea: in the hex
// input form, "\x..." (as text parameters).

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/evm/address.h"

namespace chainsync::oracle {

inline std::string Bytea(absl::string_view bytes) {
  return absl::StrCat("\\x", absl::BytesToHexString(bytes));
}

inline std::string Bytea(const evm::Address& address) {
  return absl::StrCat("\\x", address.ToLowerHex().substr(2));
}

// AccountFromHex reads an account stored as bytea and selected with
// encode(..., 'hex').
inline absl::StatusOr<evm::Address> AccountFromHex(absl::string_view hex) {
  return evm::Address::Parse(absl::StrCat("0x", hex));
}

}  // namespace chainsync::oracle
