#include "services/indexer/event_stream.h"

#include "absl/time/clock.h"
#include "libs/common/logging/log.h"
#include "services/indexer/api_rows.h"

namespace chainsync::indexer {
namespace {

constexpr char kChannel[] = "chainsync_indexer_stream";
constexpr PgStatement kRead = {
    "indexer_stream_read",
    "SELECT sequence, removed, "
    // EventFromRow's columns.
    "chain_id, block_number, encode(block_hash, 'hex'), log_index, "
    "encode(transaction_hash, 'hex'), transaction_index, "
    "encode(contract_address, 'hex'), contract_name, event_name, signature, "
    "args::text, array_to_string(ARRAY(SELECT encode(a, 'hex') FROM "
    "unnest(accounts) a), ','), extract(epoch FROM block_time)::bigint "
    "FROM indexer.event_stream WHERE sequence > $1 ORDER BY sequence "
    "LIMIT $2"};
constexpr PgStatement kLatest = {
    "indexer_stream_latest",
    "SELECT coalesce((SELECT sequence FROM indexer.event_stream "
    "ORDER BY sequence DESC LIMIT 1), 0)"};

}  // namespace

absl::StatusOr<std::unique_ptr<EventStream>> EventStream::Start(PgPool& pool,
                                                                Clock& clock) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(pool.connect_options());
  if (!connection.ok()) return connection.status();
  if (absl::Status status = (*connection)->Listen(kChannel); !status.ok())
    return status;
  std::unique_ptr<EventStream> stream(new EventStream(pool, clock));
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
      clock_.SleepFor(absl::Milliseconds(200));
      (void)connection->Reconnect();
    } else if (!notification->has_value()) {
      continue;
    }
    generation_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    if (listener_on_change_) listener_on_change_();
  }
}

void EventStream::OnChange(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_on_change_ = std::move(listener);
}

absl::StatusOr<std::vector<v1::Event>> EventStream::Read(uint64_t after,
                                                         int limit) {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows =
      (*connection)
          ->Exec(kRead, PgParams().Add(after).Add(static_cast<int64_t>(limit)));
  if (!rows.ok()) return rows.status();
  std::vector<v1::Event> events;
  events.reserve(rows->rows());
  for (int row = 0; row < rows->rows(); ++row) {
    absl::StatusOr<v1::Event> event = EventFromRow(*rows, row, 2);
    if (!event.ok()) return event.status();
    event->set_sequence(static_cast<uint64_t>(*rows->GetInt64(row, 0)));
    event->set_removed(rows->Get(row, 1) == "t");
    events.push_back(*std::move(event));
  }
  return events;
}

absl::StatusOr<uint64_t> EventStream::Latest() {
  absl::StatusOr<PgPool::Lease> connection = pool_.Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows = (*connection)->Exec(kLatest);
  if (!rows.ok()) return rows.status();
  return static_cast<uint64_t>(*rows->GetInt64(0, 0));
}

}  // namespace chainsync::indexer
