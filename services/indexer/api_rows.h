#pragma once

// How the indexer's read side turns query rows into the API's messages:
// columns rendered with encode(…, 'hex'), stored JSON, and whole events,
// which ListEvents and the event stream read alike.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chainsync/indexer/v1/indexer.pb.h"
#include "libs/common/postgres/connection.h"

namespace chainsync::indexer {

// Checksummed renders an address column in its EIP-55 form; an empty
// column (NULL) stays empty.
std::string Checksummed(absl::string_view hex);
// HexText prefixes a hash column with 0x; an empty column stays empty.
std::string HexText(absl::string_view hex);
// JsonInto parses stored JSON into `out`.
absl::Status JsonInto(absl::string_view json, google::protobuf::Struct* out);

// EventFromRow reads an event from 13 columns of `rows`, from `first` on,
// selected in this order:
//   chain_id, block_number, encode(block_hash, 'hex'), log_index,
//   encode(transaction_hash, 'hex'), transaction_index,
//   encode(contract_address, 'hex'), contract_name, event_name, signature,
//   args::text,
//   array_to_string(ARRAY(SELECT encode(a, 'hex') FROM unnest(accounts) a),
//                   ','),
//   extract(epoch FROM block_time)::bigint
// Its sequence, removal flag and confirmations are the caller's.
absl::StatusOr<v1::Event> EventFromRow(const PgResult& rows, int row,
                                       int first);

}  // namespace chainsync::indexer
