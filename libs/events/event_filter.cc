#include "libs/events/event_filter.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "libs/evm/address.h"

namespace chainsync::events {
namespace {

bool ContainsAddress(
    const google::protobuf::RepeatedPtrField<std::string>& list,
    absl::string_view address) {
  for (const std::string& item : list) {
    if (absl::EqualsIgnoreCase(item, address)) return true;
  }
  return false;
}

}  // namespace

absl::Status ValidateFilter(const indexer::v1::EventFilter& filter) {
  for (const auto* list :
       {&filter.contract_addresses(), &filter.account_addresses()}) {
    for (const std::string& address : *list) {
      if (absl::Status status =
              evm::Address::Parse(address, "filter address").status();
          !status.ok()) {
        return status;
      }
    }
  }
  return absl::OkStatus();
}

bool Matches(const indexer::v1::EventFilter& filter,
             const indexer::v1::Event& event) {
  if (!filter.chain_ids().empty() &&
      std::find(filter.chain_ids().begin(), filter.chain_ids().end(),
                event.position().chain_id()) == filter.chain_ids().end()) {
    return false;
  }
  if (!filter.contract_addresses().empty() &&
      !ContainsAddress(filter.contract_addresses(), event.contract_address())) {
    return false;
  }
  if (!filter.event_names().empty() &&
      std::find(filter.event_names().begin(), filter.event_names().end(),
                event.event_name()) == filter.event_names().end()) {
    return false;
  }
  if (!filter.account_addresses().empty()) {
    return std::any_of(event.accounts().begin(), event.accounts().end(),
                       [&](const std::string& account) {
                         return ContainsAddress(filter.account_addresses(),
                                                account);
                       });
  }
  return true;
}

}  // namespace chainsync::events
