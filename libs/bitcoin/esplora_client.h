#pragma once

// A client for Esplora's HTTP API (Blockstream's and mempool.space's
// explorers, or a self-hosted instance): address balances, UTXOs,
// transactions and the tip. Public instances answer 429 without
// Retry-After; the common HTTP client backs off with jitter, honouring it
// when given. Several instances may be named: a request one of them fails
// goes to the next. The client bounds the requests in flight and their rate,
// so that a sweep over many addresses stays within a public API's limits.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/bitcoin/address.h"
#include "libs/common/http/http_client.h"
#include "libs/common/token_bucket.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace chainsync::bitcoin {

struct EsploraOptions {
  // Base URLs of the API in order of preference, for example
  // https://mempool.space/api and https://blockstream.info/api. A request
  // that one cannot answer (unreachable, 5xx, still 429 after the retries)
  // is sent to the next; the one that answered is tried first from then on.
  std::vector<std::string> base_urls;
  // Requests in flight at once, from all threads.
  int max_concurrency = 8;
  // Requests a second at most, in bursts of up to rate_burst; 0 for no
  // limit.
  double rate_per_second = 0;
  double rate_burst = 10;
  absl::Duration timeout = absl::Seconds(10);
  RetryPolicy retry = {.max_attempts = 6,
                       .backoff = {.initial_delay = absl::Milliseconds(200),
                                   .max_delay = absl::Seconds(10)}};
  metrics::Registry* registry = &metrics::DefaultRegistry();
  Clock* clock = &SystemClock();
};

// AddressStats are an address's totals, in satoshis.
struct AddressStats {
  int64_t chain_funded_sats = 0;
  int64_t chain_spent_sats = 0;
  int64_t chain_tx_count = 0;
  int64_t mempool_funded_sats = 0;
  int64_t mempool_spent_sats = 0;
  int64_t mempool_tx_count = 0;

  // The confirmed balance: funded minus spent in mined transactions.
  int64_t confirmed_balance() const {
    return chain_funded_sats - chain_spent_sats;
  }
  // What unconfirmed transactions add (negative when they spend).
  int64_t mempool_delta() const {
    return mempool_funded_sats - mempool_spent_sats;
  }
};

struct TransactionStatus {
  bool confirmed = false;
  std::optional<uint64_t> block_height;
  std::string block_hash;
  std::optional<int64_t> block_time;
};

struct Utxo {
  std::string txid;
  uint32_t vout = 0;
  int64_t value_sats = 0;
  TransactionStatus status;
};

struct EsploraTransaction {
  std::string txid;
  TransactionStatus status;
  int64_t fee_sats = 0;
};

class EsploraClient {
 public:
  static absl::StatusOr<std::unique_ptr<EsploraClient>> Create(
      EsploraOptions options);

  // Errors: INVALID_ARGUMENT when the API refuses the address (400),
  // NOT_FOUND for an unknown transaction, RESOURCE_EXHAUSTED when 429s
  // outlast the retries, UNAVAILABLE when every instance fails or answers
  // what is not Esplora's JSON; each names the request.
  absl::StatusOr<AddressStats> GetAddressStats(const Address& address);
  absl::StatusOr<std::vector<Utxo>> GetUtxos(const Address& address);
  // GetChainTransactions returns one page (25) of confirmed transactions,
  // newest first, after `last_seen_txid` when given.
  absl::StatusOr<std::vector<EsploraTransaction>> GetChainTransactions(
      const Address& address, absl::string_view last_seen_txid = "");
  absl::StatusOr<uint64_t> GetTipHeight();
  absl::StatusOr<TransactionStatus> GetTransactionStatus(
      absl::string_view txid);

 private:
  EsploraClient(EsploraOptions options, std::unique_ptr<HttpClient> http);

  // Get fetches `path` and returns the body of a 200 answer; `endpoint`
  // names the route in the metrics.
  absl::StatusOr<std::string> Get(absl::string_view endpoint,
                                  const std::string& path);
  absl::StatusOr<std::string> GetFrom(const std::string& base_url,
                                      const std::string& path);
  // GetEach fetches `path`, which must answer a JSON array, and hands each
  // element to `visit`.
  absl::Status GetEach(
      absl::string_view endpoint, const std::string& path,
      const std::function<absl::Status(const simdjson::dom::element&)>& visit);
  // Counted records the outcome of a call to `endpoint` and returns it.
  template <typename T>
  absl::StatusOr<T> Counted(absl::string_view endpoint,
                            absl::StatusOr<T> result) {
    Count(endpoint, result.status());
    return result;
  }
  void Count(absl::string_view endpoint, const absl::Status& status);

  EsploraOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::optional<TokenBucket> bucket_;
  std::mutex mu_;
  std::condition_variable slot_freed_;
  int in_flight_ = 0;
  std::atomic<size_t> preferred_{0};
  metrics::Family<metrics::Counter>& calls_;
  metrics::Counter& failovers_;
};

}  // namespace chainsync::bitcoin
