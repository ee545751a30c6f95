#include "services/indexer/event_stream.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/logging/log.h"
#include "libs/evm/address.h"
#include "simdjson.h"

namespace chainsync::indexer {
namespace {

constexpr char kChannel[] = "chainsync_indexer_stream";
constexpr PgStatement kRead = {
    "indexer_stream_read",
    "SELECT sequence, removed, event::text FROM indexer.event_stream "
    "WHERE sequence > $1 ORDER BY sequence LIMIT $2"};
constexpr PgStatement kLatest = {
    "indexer_stream_latest",
    "SELECT coalesce(max(sequence), 0) FROM indexer.event_stream"};

std::string Text(simdjson::dom::element object, const char* key) {
  std::string_view value;
  return object[key].get(value) == simdjson::SUCCESS ? std::string(value)
                                                     : std::string();
}

uint64_t Number(simdjson::dom::element object, const char* key) {
  uint64_t value = 0;
  return object[key].get(value) == simdjson::SUCCESS ? value : 0;
}

std::string Checksummed(absl::string_view hex) {
  absl::StatusOr<evm::Address> address = evm::Address::Parse(hex);
  return address.ok() ? address->ToChecksumHex() : std::string(hex);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStream>> EventStream::Start(PgPool& pool) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(pool.connect_options());
  if (!connection.ok()) return connection.status();
  if (absl::Status status = (*connection)->Listen(kChannel); !status.ok())
    return status;
  std::unique_ptr<EventStream> stream(new EventStream(pool));
  stream->listener_ = *std::move(connection);
  stream->thread_ = std::thread([raw = stream.get()] { raw->Listen(); });
  return stream;
}

EventStream::~EventStream() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void EventStream::Listen() {
  PgConnection* connection = listener_.get();
  while (!stopping_.load()) {
    absl::StatusOr<std::optional<PgNotification>> notification =
        connection->WaitForNotification(absl::Milliseconds(250));
    if (!notification.ok()) {
      // Notifications sent while reconnecting are lost: wake everyone to
      // read again.
      log::Warning("event stream listener lost its connection",
                   {{"error", notification.status()}});
      absl::SleepFor(absl::Milliseconds(200));
      (void)connection->Reconnect();
    } else if (!notification->has_value()) {
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1);
    }
    changed_.notify_all();
  }
}

void EventStream::WaitForChange(uint64_t seen, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(
      lock, std::chrono::microseconds(absl::ToInt64Microseconds(timeout)),
      [&] { return generation_.load() != seen || stopping_.load(); });
}

absl::StatusOr<std::vector<StreamRow>> EventStream::Read(uint64_t after,
                                                         int limit) {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows =
      (*connection)
          ->Exec(kRead, PgParams().Add(after).Add(static_cast<int64_t>(limit)));
  if (!rows.ok()) return rows.status();
  std::vector<StreamRow> result;
  result.reserve(rows->rows());
  for (int row = 0; row < rows->rows(); ++row) {
    result.push_back({static_cast<uint64_t>(*rows->GetInt64(row, 0)),
                      rows->Get(row, 1) == "t",
                      std::string(rows->Get(row, 2))});
  }
  return result;
}

absl::StatusOr<uint64_t> EventStream::Latest() {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows = (*connection)->Exec(kLatest);
  if (!rows.ok()) return rows.status();
  return static_cast<uint64_t>(*rows->GetInt64(0, 0));
}

absl::StatusOr<v1::Event> EventFromRow(const StreamRow& row,
                                       uint64_t indexed_block) {
  simdjson::dom::parser parser;
  simdjson::dom::element json;
  if (parser.parse(row.event_json).get(json) != simdjson::SUCCESS) {
    return absl::InternalError(
        absl::StrCat("stream row ", row.sequence, " is not JSON"));
  }
  v1::Event event;
  event.set_sequence(row.sequence);
  event.set_removed(row.removed);
  v1::EventPosition* position = event.mutable_position();
  position->set_chain_id(Number(json, "chain_id"));
  position->set_block_number(Number(json, "block_number"));
  position->set_block_hash(Text(json, "block_hash"));
  position->set_log_index(static_cast<uint32_t>(Number(json, "log_index")));
  position->set_transaction_hash(Text(json, "transaction_hash"));
  position->set_transaction_index(
      static_cast<uint32_t>(Number(json, "transaction_index")));
  event.set_contract_address(Checksummed(Text(json, "contract_address")));
  event.set_contract_name(Text(json, "contract_name"));
  event.set_event_name(Text(json, "event_name"));
  event.set_signature(Text(json, "signature"));
  simdjson::dom::element args;
  if (json["args"].get(args) == simdjson::SUCCESS && args.is_object()) {
    const std::string text = simdjson::minify(args);
    if (!google::protobuf::util::JsonStringToMessage(text, event.mutable_args())
             .ok()) {
      return absl::InternalError(
          absl::StrCat("stream row ", row.sequence, ": bad args"));
    }
  }
  simdjson::dom::array accounts;
  if (json["accounts"].get(accounts) == simdjson::SUCCESS) {
    for (simdjson::dom::element account : accounts) {
      std::string_view text;
      if (account.get(text) == simdjson::SUCCESS) {
        event.add_accounts(
            Checksummed(absl::string_view(text.data(), text.size())));
      }
    }
  }
  const std::string time = Text(json, "block_time");
  absl::Time parsed;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, time, &parsed, &error)) {
    event.mutable_block_time()->set_seconds(absl::ToUnixSeconds(parsed));
  }
  event.set_confirmations(indexed_block > position->block_number()
                              ? indexed_block - position->block_number()
                              : 0);
  return event;
}

}  // namespace chainsync::indexer
