#pragma once

// How the oracle's stores pass values Postgres keeps as bytea: in the hex
// input form, "\x..." (as text parameters).

#include <string>
#include <vector>

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

// HexOf lists accounts as hex digits, for `unnest($n::text[])` decoded
// with decode(..., 'hex'): one parameter for a whole page of accounts.
inline std::vector<std::string> HexOf(
    const std::vector<evm::Address>& accounts) {
  std::vector<std::string> hex;
  hex.reserve(accounts.size());
  for (const evm::Address& account : accounts) {
    hex.push_back(account.ToLowerHex().substr(2));
  }
  return hex;
}

// AccountFromHex reads an account stored as bytea and selected with
// encode(..., 'hex').
inline absl::StatusOr<evm::Address> AccountFromHex(absl::string_view hex) {
  return evm::Address::Parse(absl::StrCat("0x", hex));
}

}  // namespace chainsync::oracle
