#include "services/oracle/account_reader.h"

#include "absl/strings/str_cat.h"

namespace chainsync::oracle {

AccountReading ReadAccount(BitcoinSource& source,
                           const std::vector<bitcoin::Address>& addresses,
                           uint64_t tip, int confirmations) {
  AccountReading reading;
  reading.tip = tip;
  int64_t confirmed = 0;
  for (const bitcoin::Address& address : addresses) {
    AddressReading& read = reading.addresses.emplace_back();
    read.bitcoin_address = address.text;
    absl::StatusOr<AddressBalance> balance =
        source.Balance(address, tip, confirmations);
    if (!balance.ok()) {
      read.error = std::string(balance.status().message());
      if (reading.stale_reason.empty()) {
        reading.stale_reason = absl::StrCat(address.text, ": ", read.error);
      }
      continue;
    }
    read.balance = *balance;
    confirmed += balance->confirmed_sats;
    reading.pending_sats += balance->pending_sats;
  }
  if (reading.stale_reason.empty()) reading.confirmed_sats = confirmed;
  return reading;
}

}  // namespace chainsync::oracle
