#include "services/indexer/api_rows.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "libs/evm/address.h"

namespace chainsync::indexer {

std::string Checksummed(absl::string_view hex) {
  absl::StatusOr<evm::Address> address =
      evm::Address::Parse(absl::StrCat("0x", hex));
  return address.ok() ? address->ToChecksumHex() : "";
}

std::string HexText(absl::string_view hex) {
  return hex.empty() ? "" : absl::StrCat("0x", hex);
}

absl::Status JsonInto(absl::string_view json, google::protobuf::Struct* out) {
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), out);
  if (!status.ok())
    return absl::InternalError(
        absl::StrCat("stored JSON: ", status.ToString()));
  return absl::OkStatus();
}

absl::StatusOr<v1::Event> EventFromRow(const PgResult& rows, int row,
                                       int first) {
  const auto number = [&](int column) {
    return rows.IsNull(row, first + column)
               ? 0
               : *rows.GetInt64(row, first + column);
  };
  const auto text = [&](int column) {
    return std::string(rows.Get(row, first + column));
  };
  v1::Event event;
  v1::EventPosition* position = event.mutable_position();
  position->set_chain_id(static_cast<uint64_t>(number(0)));
  position->set_block_number(static_cast<uint64_t>(number(1)));
  position->set_block_hash(HexText(rows.Get(row, first + 2)));
  position->set_log_index(static_cast<uint32_t>(number(3)));
  position->set_transaction_hash(HexText(rows.Get(row, first + 4)));
  position->set_transaction_index(static_cast<uint32_t>(number(5)));
  event.set_contract_address(Checksummed(rows.Get(row, first + 6)));
  event.set_contract_name(text(7));
  event.set_event_name(text(8));
  event.set_signature(text(9));
  if (!rows.IsNull(row, first + 10)) {
    if (absl::Status status =
            JsonInto(rows.Get(row, first + 10), event.mutable_args());
        !status.ok()) {
      return status;
    }
  }
  for (const absl::string_view account :
       absl::StrSplit(rows.Get(row, first + 11), ',', absl::SkipEmpty())) {
    event.add_accounts(Checksummed(account));
  }
  event.mutable_block_time()->set_seconds(number(12));
  return event;
}

}  // namespace chainsync::indexer
