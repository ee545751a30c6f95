#include "services/indexer/projector.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging/log.h"

namespace chainsync::indexer {
namespace {

const evm::Address& AddressAt(const DecodedEvent& event, size_t i) {
  return std::get<evm::Address>(event.values[i].value);
}
const evm::Uint256& UintAt(const DecodedEvent& event, size_t i) {
  return std::get<evm::Uint256>(event.values[i].value);
}

ActivityRow Row(const DecodedEvent& event, const evm::Address& account,
                ActivityKind kind, Direction direction) {
  ActivityRow row;
  row.account = account;
  row.block_number = event.log.block_number;
  row.log_index = event.log.log_index;
  row.kind = kind;
  row.direction = direction;
  row.transaction_hash = event.log.transaction_hash;
  return row;
}

void Transfer(const DecodedEvent& event, std::vector<ActivityRow>* activity) {
  const evm::Address& from = AddressAt(event, 0);
  const evm::Address& to = AddressAt(event, 1);
  const auto add = [&](const evm::Address& account, ActivityKind kind,
                       Direction direction,
                       std::optional<evm::Address> counterparty) {
    ActivityRow row = Row(event, account, kind, direction);
    row.token = event.contract->address;
    row.amount = UintAt(event, 2);
    row.counterparty = counterparty;
    row.moves_balance = true;
    activity->push_back(std::move(row));
  };
  const evm::Address zero;
  if (from == zero && to != zero) {
    add(to, ActivityKind::kMint, Direction::kIn, std::nullopt);
  } else if (to == zero && from != zero) {
    add(from, ActivityKind::kBurn, Direction::kOut, std::nullopt);
  } else if (from != zero) {
    add(from, ActivityKind::kTransfer, Direction::kOut, to);
    add(to, ActivityKind::kTransfer, Direction::kIn, from);
  }
}

// An event about one account (its first argument) with an amount (its
// second), such as Wrapped(account, amount).
void AccountAmount(const DecodedEvent& event, ActivityKind kind,
                   Direction direction, std::vector<ActivityRow>* activity) {
  ActivityRow row = Row(event, AddressAt(event, 0), kind, direction);
  row.amount = UintAt(event, 1);
  row.details_json = event.args_json;
  activity->push_back(std::move(row));
}

}  // namespace

void Project(const DecodedEvent& event, std::vector<ActivityRow>* activity) {
  if (event.event == nullptr) return;
  const std::string& signature = event.event->signature();
  if (signature == "Transfer(address,address,uint256)") {
    Transfer(event, activity);
  } else if (signature == "Synced(address,uint256,uint256,uint256)") {
    const evm::Uint256& previous = UintAt(event, 1);
    const evm::Uint256& next = UintAt(event, 2);
    ActivityRow row = Row(event, AddressAt(event, 0), ActivityKind::kSync,
                          next > previous   ? Direction::kIn
                          : next < previous ? Direction::kOut
                                            : Direction::kNone);
    row.amount = next > previous ? next - previous : previous - next;
    row.details_json = event.args_json;
    activity->push_back(std::move(row));
  } else if (signature == "EmergencyBurn(address,uint256,string)") {
    AccountAmount(event, ActivityKind::kEmergencyBurn, Direction::kOut,
                  activity);
  } else if (signature == "Wrapped(address,uint256)") {
    AccountAmount(event, ActivityKind::kWrap, Direction::kNone, activity);
  } else if (signature == "Unwrapped(address,uint256)") {
    AccountAmount(event, ActivityKind::kUnwrap, Direction::kNone, activity);
  } else if (signature == "Deposited(address,uint256)") {
    AccountAmount(event, ActivityKind::kFee, Direction::kIn, activity);
  } else if (signature == "Withdrawn(address,uint256)" ||
             signature == "FeeCharged(address,uint256)") {
    AccountAmount(event, ActivityKind::kFee, Direction::kOut, activity);
  } else if (signature == "ParticipantJoined(address,uint256,uint256)" ||
             signature == "ParticipantLeft(address,uint256)") {
    ActivityRow row =
        Row(event, AddressAt(event, 0), ActivityKind::kYield, Direction::kNone);
    row.details_json = absl::StrCat(
        R"({"action":")",
        event.event->name() == "ParticipantJoined" ? "join" : "leave",
        R"(","event":)", event.args_json, "}");
    activity->push_back(std::move(row));
  }
}

}  // namespace chainsync::indexer
