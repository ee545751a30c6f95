#include "libs/bitcoin/esplora_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/status.h"
#include "re2/re2.h"
#include "simdjson.h"

namespace chainsync::bitcoin {
namespace {

using simdjson::dom::element;

absl::Status Malformed(absl::string_view path, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("esplora ", path, ": malformed answer: ", what));
}

absl::StatusOr<int64_t> Int(const element& object, const char* key,
                            absl::string_view path) {
  int64_t value;
  if (object[key].get(value) != simdjson::SUCCESS) {
    return Malformed(path,
                     absl::StrCat("missing or non-integer \"", key, "\""));
  }
  return value;
}

absl::StatusOr<TransactionStatus> StatusOf(const element& status,
                                           absl::string_view path) {
  TransactionStatus result;
  if (status["confirmed"].get(result.confirmed) != simdjson::SUCCESS) {
    return Malformed(path, "missing \"confirmed\"");
  }
  if (!result.confirmed) return result;
  uint64_t height;
  if (status["block_height"].get(height) == simdjson::SUCCESS)
    result.block_height = height;
  std::string_view hash;
  if (status["block_hash"].get(hash) == simdjson::SUCCESS)
    result.block_hash = std::string(hash);
  int64_t time;
  if (status["block_time"].get(time) == simdjson::SUCCESS)
    result.block_time = time;
  return result;
}

// TxidAndStatus reads the "txid" and "status" members that UTXOs and
// transactions share.
absl::Status TxidAndStatus(const element& item, absl::string_view path,
                           std::string* txid, TransactionStatus* status) {
  std::string_view text;
  if (item["txid"].get(text) != simdjson::SUCCESS) {
    return Malformed(path, "missing txid");
  }
  *txid = std::string(text);
  element object;
  if (item["status"].get(object) != simdjson::SUCCESS) {
    return Malformed(path, "missing status");
  }
  absl::StatusOr<TransactionStatus> parsed = StatusOf(object, path);
  if (!parsed.ok()) return parsed.status();
  *status = *parsed;
  return absl::OkStatus();
}

absl::Status CheckTxid(absl::string_view txid) {
  static const LazyRE2 kTxid = {"[0-9a-fA-F]{64}"};
  if (!RE2::FullMatch(re2::StringPiece(txid.data(), txid.size()), *kTxid)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "transaction id ", QuoteValue(txid), " is not 64 hex digits"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EsploraClient>> EsploraClient::Create(
    EsploraOptions options) {
  if (options.base_urls.empty()) {
    return absl::InvalidArgumentError("Esplora: no base URL");
  }
  for (std::string& url : options.base_urls) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (!absl::StartsWith(url, "http://") &&
        !absl::StartsWith(url, "https://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Esplora base URL ", QuoteValue(url), " is not an http(s) URL"));
    }
  }
  if (options.max_concurrency < 1) {
    return absl::InvalidArgumentError(
        "Esplora: max_concurrency must be at least 1");
  }
  HttpClientOptions http;
  http.request_timeout = options.timeout;
  http.retry = options.retry;
  http.clock = options.clock;
  http.registry = options.registry;
  http.name = "esplora";
  absl::StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Create(http);
  if (!client.ok()) return client.status();
  return std::unique_ptr<EsploraClient>(
      new EsploraClient(std::move(options), *std::move(client)));
}

EsploraClient::EsploraClient(EsploraOptions options,
                             std::unique_ptr<HttpClient> http)
    : options_(std::move(options)),
      http_(std::move(http)),
      calls_(options_.registry->AddCounter(
          "chainsync_bitcoin_api_calls_total",
          "Calls to the Bitcoin API (Esplora), by endpoint and outcome.",
          {"endpoint", "outcome"})),
      failovers_(options_.registry
                     ->AddCounter("chainsync_bitcoin_api_failovers_total",
                                  "Requests sent to the next Bitcoin API "
                                  "instance because one failed.",
                                  {})
                     .WithLabels({})) {
  if (options_.rate_per_second > 0) {
    bucket_.emplace(options_.rate_per_second, options_.rate_burst,
                    *options_.clock);
  }
}

absl::StatusOr<std::string> EsploraClient::Get(absl::string_view endpoint,
                                               const std::string& path) {
  if (bucket_.has_value()) bucket_->Take();
  {
    std::unique_lock<std::mutex> lock(mu_);
    slot_freed_.wait(lock,
                     [&] { return in_flight_ < options_.max_concurrency; });
    ++in_flight_;
  }
  const size_t count = options_.base_urls.size();
  const size_t first = preferred_.load();
  absl::StatusOr<std::string> body;
  for (size_t i = 0; i < count; ++i) {
    const size_t index = (first + i) % count;
    if (i > 0) failovers_.Increment();
    body = GetFrom(options_.base_urls[index], path);
    // An answer about the request itself (a bad address, an unknown
    // transaction) would be the same from any instance.
    if (body.ok() || absl::IsInvalidArgument(body.status()) ||
        absl::IsNotFound(body.status())) {
      preferred_.store(index);
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }
  slot_freed_.notify_one();
  return body;
}

void EsploraClient::Count(absl::string_view endpoint,
                          const absl::Status& status) {
  absl::string_view outcome = "ok";
  if (absl::IsInvalidArgument(status)) {
    outcome = "invalid";
  } else if (absl::IsNotFound(status)) {
    outcome = "not_found";
  } else if (absl::IsResourceExhausted(status)) {
    outcome = "rate_limited";
  } else if (absl::IsDeadlineExceeded(status)) {
    outcome = "timeout";
  } else if (!status.ok()) {
    outcome = "unavailable";
  }
  calls_.WithLabels({std::string(endpoint), std::string(outcome)}).Increment();
}

absl::StatusOr<std::string> EsploraClient::GetFrom(const std::string& base_url,
                                                   const std::string& path) {
  absl::StatusOr<HttpClientResponse> response =
      http_->Send({.url = absl::StrCat(base_url, path)});
  if (!response.ok()) {
    return absl::Status(
        response.status().code(),
        absl::StrCat("esplora ", path, ": ", response.status().message()));
  }
  const std::string detail(
      absl::StripAsciiWhitespace(response->body.substr(0, 200)));
  switch (response->status) {
    case 200:
      return std::move(response->body);
    case 400:
      return absl::InvalidArgumentError(
          absl::StrCat("esplora ", path, ": ", detail));
    case 404:
      return absl::NotFoundError(absl::StrCat("esplora ", path, ": not found"));
    case 429:
      return absl::ResourceExhaustedError(
          absl::StrCat("esplora ", path, ": rate limited after ",
                       response->attempts, " attempts"));
    default:
      return absl::UnavailableError(absl::StrCat(
          "esplora ", path, ": HTTP ", response->status, ": ", detail));
  }
}

absl::StatusOr<AddressStats> EsploraClient::GetAddressStats(
    const Address& address) {
  return Counted("address", [&]() -> absl::StatusOr<AddressStats> {
    const std::string path = absl::StrCat("/address/", address.text);
    absl::StatusOr<std::string> body = Get("address", path);
    if (!body.ok()) return body.status();
    simdjson::dom::parser parser;
    element document;
    if (parser.parse(*body).get(document) != simdjson::SUCCESS) {
      return Malformed(path, "not JSON");
    }
    AddressStats stats;
    element chain, mempool;
    if (document["chain_stats"].get(chain) != simdjson::SUCCESS ||
        document["mempool_stats"].get(mempool) != simdjson::SUCCESS) {
      return Malformed(path, "missing chain_stats or mempool_stats");
    }
    const struct {
      const element& object;
      const char* key;
      int64_t* out;
    } fields[] = {{chain, "funded_txo_sum", &stats.chain_funded_sats},
                  {chain, "spent_txo_sum", &stats.chain_spent_sats},
                  {chain, "tx_count", &stats.chain_tx_count},
                  {mempool, "funded_txo_sum", &stats.mempool_funded_sats},
                  {mempool, "spent_txo_sum", &stats.mempool_spent_sats},
                  {mempool, "tx_count", &stats.mempool_tx_count}};
    for (const auto& field : fields) {
      absl::StatusOr<int64_t> value = Int(field.object, field.key, path);
      if (!value.ok()) return value.status();
      *field.out = *value;
    }
    if (stats.confirmed_balance() < 0) {
      return Malformed(path, "spent more than funded");
    }
    return stats;
  }());
}

absl::Status EsploraClient::GetEach(
    absl::string_view endpoint, const std::string& path,
    const std::function<absl::Status(const element&)>& visit) {
  absl::StatusOr<std::string> body = Get(endpoint, path);
  if (!body.ok()) return body.status();
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  if (parser.parse(*body).get(list) != simdjson::SUCCESS) {
    return Malformed(path, "not an array");
  }
  for (element item : list) {
    if (absl::Status status = visit(item); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Utxo>> EsploraClient::GetUtxos(
    const Address& address) {
  return Counted("utxo", [&]() -> absl::StatusOr<std::vector<Utxo>> {
    const std::string path = absl::StrCat("/address/", address.text, "/utxo");
    std::vector<Utxo> utxos;
    absl::Status status =
        GetEach("utxo", path, [&](const element& item) -> absl::Status {
          Utxo utxo;
          if (absl::Status s =
                  TxidAndStatus(item, path, &utxo.txid, &utxo.status);
              !s.ok()) {
            return s;
          }
          absl::StatusOr<int64_t> vout = Int(item, "vout", path);
          if (!vout.ok()) return vout.status();
          utxo.vout = static_cast<uint32_t>(*vout);
          absl::StatusOr<int64_t> value = Int(item, "value", path);
          if (!value.ok()) return value.status();
          utxo.value_sats = *value;
          utxos.push_back(std::move(utxo));
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return utxos;
  }());
}

absl::StatusOr<std::vector<EsploraTransaction>>
EsploraClient::GetChainTransactions(const Address& address,
                                    absl::string_view last_seen_txid) {
  return Counted(
      "txs", [&]() -> absl::StatusOr<std::vector<EsploraTransaction>> {
        if (!last_seen_txid.empty()) {
          if (absl::Status status = CheckTxid(last_seen_txid); !status.ok()) {
            return status;
          }
        }
        const std::string path =
            absl::StrCat("/address/", address.text, "/txs/chain",
                         last_seen_txid.empty() ? "" : "/", last_seen_txid);
        std::vector<EsploraTransaction> transactions;
        absl::Status status =
            GetEach("txs", path, [&](const element& item) -> absl::Status {
              EsploraTransaction transaction;
              if (absl::Status s = TxidAndStatus(item, path, &transaction.txid,
                                                 &transaction.status);
                  !s.ok()) {
                return s;
              }
              int64_t fee = 0;
              if (item["fee"].get(fee) == simdjson::SUCCESS)
                transaction.fee_sats = fee;
              transactions.push_back(std::move(transaction));
              return absl::OkStatus();
            });
        if (!status.ok()) return status;
        return transactions;
      }());
}

absl::StatusOr<uint64_t> EsploraClient::GetTipHeight() {
  return Counted("tip", [&]() -> absl::StatusOr<uint64_t> {
    const std::string path = "/blocks/tip/height";
    absl::StatusOr<std::string> body = Get("tip", path);
    if (!body.ok()) return body.status();
    uint64_t height;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*body), &height)) {
      return Malformed(path, "not a height");
    }
    return height;
  }());
}

absl::StatusOr<TransactionStatus> EsploraClient::GetTransactionStatus(
    absl::string_view txid) {
  return Counted("tx_status", [&]() -> absl::StatusOr<TransactionStatus> {
    if (absl::Status status = CheckTxid(txid); !status.ok()) return status;
    const std::string path = absl::StrCat("/tx/", txid, "/status");
    absl::StatusOr<std::string> body = Get("tx_status", path);
    if (!body.ok()) return body.status();
    simdjson::dom::parser parser;
    element document;
    if (parser.parse(*body).get(document) != simdjson::SUCCESS)
      return Malformed(path, "not JSON");
    return StatusOf(document, path);
  }());
}

}  // namespace chainsync::bitcoin
