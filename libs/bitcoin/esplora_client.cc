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
  while (!options.base_url.empty() && options.base_url.back() == '/') {
    options.base_url.pop_back();
  }
  if (!absl::StartsWith(options.base_url, "http://") &&
      !absl::StartsWith(options.base_url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Esplora base URL \"", options.base_url, "\" is not an http(s) URL"));
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

absl::StatusOr<std::string> EsploraClient::Get(const std::string& path) {
  absl::StatusOr<HttpClientResponse> response =
      http_->Send({.url = absl::StrCat(options_.base_url, path)});
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
  const std::string path = absl::StrCat("/address/", address.text);
  absl::StatusOr<std::string> body = Get(path);
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
}

absl::Status EsploraClient::GetEach(
    const std::string& path,
    const std::function<absl::Status(const element&)>& visit) {
  absl::StatusOr<std::string> body = Get(path);
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
  const std::string path = absl::StrCat("/address/", address.text, "/utxo");
  std::vector<Utxo> utxos;
  absl::Status status = GetEach(path, [&](const element& item) -> absl::Status {
    Utxo utxo;
    if (absl::Status s = TxidAndStatus(item, path, &utxo.txid, &utxo.status);
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
}

absl::StatusOr<std::vector<EsploraTransaction>>
EsploraClient::GetChainTransactions(const Address& address,
                                    absl::string_view last_seen_txid) {
  if (!last_seen_txid.empty()) {
    if (absl::Status status = CheckTxid(last_seen_txid); !status.ok()) {
      return status;
    }
  }
  const std::string path =
      absl::StrCat("/address/", address.text, "/txs/chain",
                   last_seen_txid.empty() ? "" : "/", last_seen_txid);
  std::vector<EsploraTransaction> transactions;
  absl::Status status = GetEach(path, [&](const element& item) -> absl::Status {
    EsploraTransaction transaction;
    if (absl::Status s =
            TxidAndStatus(item, path, &transaction.txid, &transaction.status);
        !s.ok()) {
      return s;
    }
    int64_t fee = 0;
    if (item["fee"].get(fee) == simdjson::SUCCESS) transaction.fee_sats = fee;
    transactions.push_back(std::move(transaction));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return transactions;
}

absl::StatusOr<uint64_t> EsploraClient::GetTipHeight() {
  const std::string path = "/blocks/tip/height";
  absl::StatusOr<std::string> body = Get(path);
  if (!body.ok()) return body.status();
  uint64_t height;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*body), &height)) {
    return Malformed(path, "not a height");
  }
  return height;
}

absl::StatusOr<TransactionStatus> EsploraClient::GetTransactionStatus(
    absl::string_view txid) {
  if (absl::Status status = CheckTxid(txid); !status.ok()) return status;
  const std::string path = absl::StrCat("/tx/", txid, "/status");
  absl::StatusOr<std::string> body = Get(path);
  if (!body.ok()) return body.status();
  simdjson::dom::parser parser;
  element document;
  if (parser.parse(*body).get(document) != simdjson::SUCCESS)
    return Malformed(path, "not JSON");
  return StatusOf(document, path);
}

}  // namespace chainsync::bitcoin
