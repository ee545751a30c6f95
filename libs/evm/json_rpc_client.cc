#include "libs/evm/json_rpc_client.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"
#include "re2/re2.h"
#include "simdjson.h"

namespace chainsync::evm {
namespace {

using simdjson::dom::element;

constexpr char kRangeLimitPayload[] = "type.chainsync.dev/evm.RangeLimit";

absl::string_view View(std::string_view text) {
  return {text.data(), text.size()};
}

// Endpoints may carry API keys in their path; messages and logs show the
// scheme and host only.
std::string RedactedEndpoint(absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t host_start = scheme == absl::string_view::npos ? 0 : scheme + 3;
  const size_t path = url.find('/', host_start);
  return std::string(url.substr(0, path));
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

absl::StatusOr<absl::string_view> StringAt(const element& object,
                                           const char* key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) {
    return Malformed(absl::StrCat("missing or non-string \"", key, "\""));
  }
  return View(value);
}

absl::StatusOr<Uint256> QuantityOf(absl::string_view text,
                                   absl::string_view field) {
  if (text.size() < 3 || text[0] != '0' || text[1] != 'x') {
    return Malformed(
        absl::StrCat(field, ": \"", text, "\" is not a hex quantity"));
  }
  return ParseUint256(text, field);
}

absl::StatusOr<uint64_t> U64Of(absl::string_view text,
                               absl::string_view field) {
  absl::StatusOr<Uint256> value = QuantityOf(text, field);
  if (!value.ok()) return value.status();
  if (*value > std::numeric_limits<uint64_t>::max()) {
    return Malformed(
        absl::StrCat(field, ": ", text, " does not fit in 64 bits"));
  }
  return static_cast<uint64_t>(*value);
}

absl::StatusOr<uint64_t> U64At(const element& object, const char* key) {
  absl::StatusOr<absl::string_view> text = StringAt(object, key);
  if (!text.ok()) return text.status();
  return U64Of(*text, key);
}

absl::StatusOr<Hash> HashAt(const element& object, const char* key) {
  absl::StatusOr<absl::string_view> text = StringAt(object, key);
  if (!text.ok()) return text.status();
  return FixedFromHex<32>(*text, key);
}

absl::StatusOr<BlockHeader> ParseHeader(const element& block) {
  BlockHeader header;
  absl::StatusOr<uint64_t> number = U64At(block, "number");
  if (!number.ok()) return number.status();
  header.number = *number;
  absl::StatusOr<Hash> hash = HashAt(block, "hash");
  if (!hash.ok()) return hash.status();
  header.hash = *hash;
  absl::StatusOr<Hash> parent = HashAt(block, "parentHash");
  if (!parent.ok()) return parent.status();
  header.parent_hash = *parent;
  absl::StatusOr<uint64_t> timestamp = U64At(block, "timestamp");
  if (!timestamp.ok()) return timestamp.status();
  header.timestamp = *timestamp;
  std::string_view base_fee;
  if (block["baseFeePerGas"].get(base_fee) == simdjson::SUCCESS) {
    absl::StatusOr<Uint256> value = QuantityOf(View(base_fee), "baseFeePerGas");
    if (!value.ok()) return value.status();
    header.base_fee_per_gas = *value;
  }
  return header;
}

absl::StatusOr<Log> ParseLog(const element& object) {
  Log log;
  absl::StatusOr<absl::string_view> address = StringAt(object, "address");
  if (!address.ok()) return address.status();
  absl::StatusOr<Address> parsed_address = Address::Parse(*address, "address");
  if (!parsed_address.ok()) return parsed_address.status();
  log.address = *parsed_address;
  simdjson::dom::array topics;
  if (object["topics"].get(topics) != simdjson::SUCCESS) {
    return Malformed("missing \"topics\"");
  }
  for (element topic : topics) {
    std::string_view text;
    if (topic.get(text) != simdjson::SUCCESS)
      return Malformed("non-string topic");
    absl::StatusOr<Hash> hash = FixedFromHex<32>(View(text), "topic");
    if (!hash.ok()) return hash.status();
    log.topics.push_back(*hash);
  }
  absl::StatusOr<absl::string_view> data = StringAt(object, "data");
  if (!data.ok()) return data.status();
  absl::StatusOr<Bytes> bytes = FromHex(*data, "data");
  if (!bytes.ok()) return bytes.status();
  log.data = *std::move(bytes);
  // Pending logs have null positions; chainsync asks only for mined ones.
  absl::StatusOr<uint64_t> number = U64At(object, "blockNumber");
  if (!number.ok()) return number.status();
  log.block_number = *number;
  absl::StatusOr<Hash> block_hash = HashAt(object, "blockHash");
  if (!block_hash.ok()) return block_hash.status();
  log.block_hash = *block_hash;
  absl::StatusOr<Hash> transaction = HashAt(object, "transactionHash");
  if (!transaction.ok()) return transaction.status();
  log.transaction_hash = *transaction;
  absl::StatusOr<uint64_t> transaction_index =
      U64At(object, "transactionIndex");
  if (!transaction_index.ok()) return transaction_index.status();
  log.transaction_index = static_cast<uint32_t>(*transaction_index);
  absl::StatusOr<uint64_t> log_index = U64At(object, "logIndex");
  if (!log_index.ok()) return log_index.status();
  log.log_index = static_cast<uint32_t>(*log_index);
  bool removed = false;
  if (object["removed"].get(removed) == simdjson::SUCCESS)
    log.removed = removed;
  return log;
}

absl::StatusOr<Bytes> BytesOf(const element& result, absl::string_view field) {
  std::string_view text;
  if (result.get(text) != simdjson::SUCCESS)
    return Malformed("result is not a string");
  return FromHex(View(text), field);
}

std::string Quoted(absl::string_view text) {
  std::string out;
  log::AppendJsonString(&out, text);
  return out;
}

std::string CallObject(const CallRequest& request) {
  std::vector<std::string> fields;
  if (request.from.has_value()) {
    fields.push_back(
        absl::StrCat("\"from\":", Quoted(request.from->ToLowerHex())));
  }
  if (request.to.has_value()) {
    fields.push_back(absl::StrCat("\"to\":", Quoted(request.to->ToLowerHex())));
  }
  fields.push_back(absl::StrCat("\"data\":", Quoted(ToHex(request.data))));
  if (request.value != 0) {
    fields.push_back(
        absl::StrCat("\"value\":", Quoted(ToQuantity(request.value))));
  }
  if (request.gas.has_value()) {
    fields.push_back(
        absl::StrCat("\"gas\":", Quoted(ToQuantity(*request.gas))));
  }
  return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
}

std::string FilterObject(const LogFilter& filter) {
  std::vector<std::string> fields;
  if (filter.block_hash.has_value()) {
    fields.push_back(
        absl::StrCat("\"blockHash\":", Quoted(ToHex(*filter.block_hash))));
  } else {
    fields.push_back(
        absl::StrCat("\"fromBlock\":", Quoted(ToQuantity(filter.from_block))));
    fields.push_back(
        absl::StrCat("\"toBlock\":", Quoted(ToQuantity(filter.to_block))));
  }
  if (!filter.addresses.empty()) {
    fields.push_back(
        absl::StrCat("\"address\":[",
                     absl::StrJoin(filter.addresses, ",",
                                   [](std::string* out, const Address& a) {
                                     out->append(Quoted(a.ToLowerHex()));
                                   }),
                     "]"));
  }
  if (!filter.topics.empty()) {
    fields.push_back(absl::StrCat(
        "\"topics\":[",
        absl::StrJoin(
            filter.topics, ",",
            [](std::string* out, const std::vector<Hash>& alternatives) {
              if (alternatives.empty()) {
                out->append("null");
                return;
              }
              absl::StrAppend(out, "[",
                              absl::StrJoin(alternatives, ",",
                                            [](std::string* o, const Hash& h) {
                                              o->append(Quoted(ToHex(h)));
                                            }),
                              "]");
            }),
        "]"));
  }
  return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
}

// ErrorStatus maps a JSON-RPC error object of `method` to a status.
absl::Status ErrorStatus(absl::string_view method, int64_t code,
                         absl::string_view message, absl::string_view data) {
  static const LazyRE2 kRangeLimit = {
      R"((?i)(more than \d+ results|exceeds? (the )?limit|block range|range (is )?too )"
      R"((large|wide|big)|too many (results|blocks|logs)|response size|query timeout))"};
  static const LazyRE2 kNonce = {
      R"((?i)(nonce too low|nonce too high|already known|replacement transaction )"
      R"(underpriced|transaction underpriced))"};
  const std::string text =
      absl::StrCat(method, ": ", message, " (code ", code, ")",
                   data.empty() ? "" : absl::StrCat(" data ", data));
  const re2::StringPiece piece(message.data(), message.size());
  if (method == "eth_getLogs" && RE2::PartialMatch(piece, *kRangeLimit)) {
    absl::Status status = absl::ResourceExhaustedError(text);
    status.SetPayload(kRangeLimitPayload, absl::Cord(message));
    return status;
  }
  if (code == -32601) return absl::UnimplementedError(text);
  if (code == 3 || absl::StrContains(message, "revert") ||
      RE2::PartialMatch(piece, *kNonce)) {
    return absl::FailedPreconditionError(text);
  }
  if (code == -32602 || code == -32600 || code == -32700) {
    return absl::InvalidArgumentError(text);
  }
  if (code == -32005)
    return absl::ResourceExhaustedError(text);  // rate limited
  return absl::UnknownError(text);
}

// ErrorFromObject maps the "error" member of a response.
absl::Status ErrorFromObject(absl::string_view method, const element& error) {
  int64_t code = 0;
  if (error["code"].get(code) != simdjson::SUCCESS) code = 0;
  std::string_view message;
  if (error["message"].get(message) != simdjson::SUCCESS)
    message = "(no message)";
  std::string data;
  if (element value; error["data"].get(value) == simdjson::SUCCESS) {
    data = simdjson::minify(value);
  }
  return ErrorStatus(method, code, View(message), data);
}

// IsRetryable tells whether the whole exchange is worth sending again.
bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         (absl::IsResourceExhausted(status) && !IsRangeLimit(status));
}

// HttpTransport posts JSON over the common HTTP client.
class HttpTransport final : public JsonRpcTransport {
 public:
  explicit HttpTransport(std::unique_ptr<HttpClient> http)
      : http_(std::move(http)) {}
  absl::StatusOr<HttpClientResponse> Post(const std::string& url,
                                          const std::string& body) override {
    return http_->Send({.method = "POST",
                        .url = url,
                        .headers = {{"content-type", "application/json"}},
                        .body = body});
  }

 private:
  std::unique_ptr<HttpClient> http_;
};

}  // namespace

struct JsonRpcClient::Metrics {
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& duration;
  metrics::Family<metrics::Counter>& retries;

  explicit Metrics(metrics::Registry& registry)
      : requests(registry.AddCounter("chainsync_evm_rpc_requests_total",
                                     "JSON-RPC requests by method and outcome.",
                                     {"method", "outcome"})),
        duration(
            registry.AddHistogram("chainsync_evm_rpc_request_duration_seconds",
                                  "JSON-RPC exchanges (a batch counts once) by "
                                  "method, retries included.",
                                  {"method"}, metrics::LatencyBuckets())),
        retries(registry.AddCounter("chainsync_evm_rpc_retries_total",
                                    "JSON-RPC exchanges sent again, by reason.",
                                    {"reason"})) {}
};

absl::StatusOr<BlockHeader> BlockHeaderFromJson(const element& block) {
  return ParseHeader(block);
}

bool IsRangeLimit(const absl::Status& status) {
  return status.GetPayload(kRangeLimitPayload).has_value();
}

std::optional<std::pair<uint64_t, uint64_t>> SuggestedRange(
    const absl::Status& status) {
  const absl::optional<absl::Cord> message =
      status.GetPayload(kRangeLimitPayload);
  if (!message.has_value()) return std::nullopt;
  static const LazyRE2 kRange = {
      R"(\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\])"};
  std::string from, to;
  if (!RE2::PartialMatch(std::string(*message), *kRange, &from, &to))
    return std::nullopt;
  absl::StatusOr<uint64_t> first = U64Of(from, "from");
  absl::StatusOr<uint64_t> last = U64Of(to, "to");
  if (!first.ok() || !last.ok() || *first > *last) return std::nullopt;
  return std::make_pair(*first, *last);
}

std::string BlockRef::Param() const {
  return tag_.empty() ? ToQuantity(number_) : tag_;
}

absl::StatusOr<std::unique_ptr<JsonRpcClient>> JsonRpcClient::Create(
    JsonRpcOptions options, std::unique_ptr<JsonRpcTransport> transport) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError(
        "JSON-RPC client needs at least one endpoint");
  }
  for (const std::string& endpoint : options.endpoints) {
    if (!absl::StartsWith(endpoint, "http://") &&
        !absl::StartsWith(endpoint, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("JSON-RPC endpoint \"", RedactedEndpoint(endpoint),
                       "\" is not an http(s) URL"));
    }
  }
  if (transport == nullptr) {
    HttpClientOptions http;
    http.connect_timeout = options.connect_timeout;
    http.request_timeout = options.request_timeout;
    // Retries, with fail-over, happen here, where the endpoints are known.
    http.retry.max_attempts = 1;
    http.clock = options.clock;
    http.registry = options.registry;
    http.name = "jsonrpc";
    absl::StatusOr<std::unique_ptr<HttpClient>> client =
        HttpClient::Create(http);
    if (!client.ok()) return client.status();
    transport = std::make_unique<HttpTransport>(*std::move(client));
  }
  return std::unique_ptr<JsonRpcClient>(
      new JsonRpcClient(std::move(options), std::move(transport)));
}

JsonRpcClient::JsonRpcClient(JsonRpcOptions options,
                             std::unique_ptr<JsonRpcTransport> transport)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      metrics_(std::make_unique<Metrics>(*options_.registry)) {
  if (options_.rate_limit > 0) {
    rate_limit_ = std::make_unique<TokenBucket>(
        options_.rate_limit, options_.rate_burst, *options_.clock);
  }
}

JsonRpcClient::~JsonRpcClient() = default;

std::vector<absl::Status> JsonRpcClient::Execute(
    const std::vector<Request>& requests) {
  const size_t count = requests.size();
  uint64_t first_id;
  size_t preferred;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_id = next_id_;
    next_id_ += count;
    preferred = preferred_endpoint_;
  }
  std::string body;
  if (count > 1) body.push_back('[');
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body.push_back(',');
    absl::StrAppend(&body, "{\"jsonrpc\":\"2.0\",\"id\":", first_id + i,
                    ",\"method\":", Quoted(requests[i].method),
                    ",\"params\":", requests[i].params, "}");
  }
  if (count > 1) body.push_back(']');
  const std::string method_label =
      count == 1 ? requests[0].method
                 : absl::StrCat("batch:", requests[0].method);

  Backoff backoff(options_.retry.backoff);
  const size_t endpoints = options_.endpoints.size();
  const absl::Time start = options_.clock->Now();
  absl::Status failure;
  simdjson::dom::parser parser;
  for (int attempt = 0; attempt < std::max(1, options_.retry.max_attempts);
       ++attempt) {
    if (attempt > 0) {
      // Fail over at once; wait only when every endpoint has failed since.
      if (attempt % endpoints == 0)
        options_.clock->SleepFor(backoff.NextDelay());
    }
    if (rate_limit_ != nullptr) rate_limit_->Take();
    const size_t endpoint = (preferred + attempt) % endpoints;
    const std::string& url = options_.endpoints[endpoint];
    absl::StatusOr<HttpClientResponse> response = transport_->Post(url, body);
    std::string reason;
    if (!response.ok()) {
      failure = absl::Status(
          response.status().code(),
          absl::StrCat(method_label, ": ", response.status().message()));
      reason = "transport";
    } else if (response->status == 429 || response->status >= 500) {
      failure = absl::UnavailableError(
          absl::StrCat(method_label, ": ", RedactedEndpoint(url),
                       " answered HTTP ", response->status));
      reason = absl::StrCat("http_", response->status);
      const std::optional<absl::Duration> retry_after = ParseRetryAfter(
          response->Header("retry-after"), options_.clock->Now());
      if (retry_after.has_value() && endpoints == 1) {
        options_.clock->SleepFor(
            std::min(*retry_after, options_.retry.backoff.max_delay));
      }
    } else {
      element document;
      const simdjson::error_code error =
          parser.parse(response->body).get(document);
      if (error != simdjson::SUCCESS) {
        failure = absl::UnavailableError(
            absl::StrCat(method_label, ": malformed response from ",
                         RedactedEndpoint(url), " (HTTP ", response->status,
                         "): ", simdjson::error_message(error)));
        reason = "malformed";
      } else {
        // Collect each request's envelope by id.
        std::vector<element> envelopes(count);
        std::vector<bool> found(count, false);
        simdjson::dom::array list;
        std::vector<element> items;
        if (document.get(list) == simdjson::SUCCESS) {
          for (element item : list) items.push_back(item);
        } else {
          items.push_back(document);
        }
        absl::Status whole_batch_error;
        for (const element& item : items) {
          uint64_t id;
          if (item["id"].get(id) == simdjson::SUCCESS && id >= first_id &&
              id < first_id + count) {
            envelopes[id - first_id] = item;
            found[id - first_id] = true;
          } else if (element error_object;
                     item["error"].get(error_object) == simdjson::SUCCESS) {
            // An error for the exchange as a whole (a batch refused).
            whole_batch_error =
                ErrorFromObject(requests[0].method, error_object);
          }
        }
        if (!whole_batch_error.ok() && std::none_of(found.begin(), found.end(),
                                                    [](bool f) { return f; })) {
          failure = whole_batch_error;
          reason = "node_error";
          if (!IsRetryable(failure)) break;
        } else if (std::find(found.begin(), found.end(), false) !=
                   found.end()) {
          failure = absl::UnavailableError(absl::StrCat(
              method_label, ": malformed response from ", RedactedEndpoint(url),
              ": not every request was answered"));
          reason = "malformed";
        } else {
          std::vector<absl::Status> outcomes(count);
          bool retry = false;
          for (size_t i = 0; i < count && !retry; ++i) {
            element error_object;
            if (envelopes[i]["error"].get(error_object) == simdjson::SUCCESS) {
              outcomes[i] = ErrorFromObject(requests[i].method, error_object);
              // A rate limit answered in JSON is a refusal to try again.
              if (count == 1 && IsRetryable(outcomes[i])) {
                failure = outcomes[i];
                reason = "rate_limited";
                retry = true;
              }
              continue;
            }
            element result;
            if (envelopes[i]["result"].get(result) != simdjson::SUCCESS) {
              failure = absl::UnavailableError(absl::StrCat(
                  requests[i].method, ": malformed response from ",
                  RedactedEndpoint(url), ": neither result nor error"));
              reason = "malformed";
              retry = true;
              continue;
            }
            absl::Status parsed = requests[i].parse(result);
            if (!parsed.ok()) {
              // A result of the wrong shape: the node or a proxy misbehaved.
              failure = absl::UnavailableError(
                  absl::StrCat(requests[i].method, ": malformed result from ",
                               RedactedEndpoint(url), ": ", parsed.message()));
              reason = "malformed";
              retry = true;
            }
          }
          if (!retry) {
            {
              std::lock_guard<std::mutex> lock(mu_);
              preferred_endpoint_ = endpoint;
            }
            metrics_->duration.WithLabels({method_label})
                .Observe(absl::ToDoubleSeconds(options_.clock->Now() - start));
            for (size_t i = 0; i < count; ++i) {
              metrics_->requests
                  .WithLabels({requests[i].method,
                               std::string(StatusCodeName(outcomes[i].code()))})
                  .Increment();
            }
            return outcomes;
          }
        }
      }
    }
    metrics_->retries.WithLabels({reason}).Increment();
    log::Warning("JSON-RPC exchange failed",
                 {{"method", method_label},
                  {"endpoint", RedactedEndpoint(url)},
                  {"attempt", attempt + 1},
                  {"error", failure.message()}});
  }
  metrics_->duration.WithLabels({method_label})
      .Observe(absl::ToDoubleSeconds(options_.clock->Now() - start));
  for (const Request& request : requests) {
    metrics_->requests
        .WithLabels(
            {request.method, std::string(StatusCodeName(failure.code()))})
        .Increment();
  }
  return std::vector<absl::Status>(count, failure);
}

absl::Status JsonRpcClient::Single(
    std::string method, std::string params,
    std::function<absl::Status(const element&)> parse) {
  std::vector<Request> requests;
  requests.push_back({std::move(method), std::move(params), std::move(parse)});
  return Execute(requests).front();
}

absl::StatusOr<std::string> JsonRpcClient::Call(absl::string_view method,
                                                absl::string_view params) {
  std::string text;
  absl::Status status = Single(std::string(method), std::string(params),
                               [&text](const element& result) {
                                 text = simdjson::minify(result);
                                 return absl::OkStatus();
                               });
  if (!status.ok()) return status;
  return text;
}

namespace {

// A parser for a quantity result.
template <typename T>
std::function<absl::Status(const element&)> QuantityInto(
    T* out, absl::string_view field) {
  return [out, field](const element& result) -> absl::Status {
    std::string_view text;
    if (result.get(text) != simdjson::SUCCESS)
      return Malformed("result is not a string");
    if constexpr (std::is_same_v<T, uint64_t>) {
      absl::StatusOr<uint64_t> value = U64Of(View(text), field);
      if (!value.ok()) return value.status();
      *out = *value;
    } else {
      absl::StatusOr<Uint256> value = QuantityOf(View(text), field);
      if (!value.ok()) return value.status();
      *out = *value;
    }
    return absl::OkStatus();
  };
}

std::function<absl::Status(const element&)> OptionalHeaderInto(
    std::optional<BlockHeader>* out) {
  return [out](const element& result) -> absl::Status {
    if (result.is_null()) {
      *out = std::nullopt;
      return absl::OkStatus();
    }
    absl::StatusOr<BlockHeader> header = ParseHeader(result);
    if (!header.ok()) return header.status();
    *out = *header;
    return absl::OkStatus();
  };
}

}  // namespace

absl::StatusOr<uint64_t> JsonRpcClient::ChainId() {
  uint64_t value = 0;
  absl::Status status =
      Single("eth_chainId", "[]", QuantityInto(&value, "chainId"));
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<uint64_t> JsonRpcClient::BlockNumber() {
  uint64_t value = 0;
  absl::Status status =
      Single("eth_blockNumber", "[]", QuantityInto(&value, "blockNumber"));
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<std::optional<BlockHeader>> JsonRpcClient::GetBlockByNumber(
    const BlockRef& block) {
  std::optional<BlockHeader> header;
  absl::Status status =
      Single("eth_getBlockByNumber",
             absl::StrCat("[", Quoted(block.Param()), ",false]"),
             OptionalHeaderInto(&header));
  if (!status.ok()) return status;
  return header;
}

absl::StatusOr<std::optional<BlockHeader>> JsonRpcClient::GetBlockByHash(
    const Hash& hash) {
  std::optional<BlockHeader> header;
  absl::Status status = Single(
      "eth_getBlockByHash", absl::StrCat("[", Quoted(ToHex(hash)), ",false]"),
      OptionalHeaderInto(&header));
  if (!status.ok()) return status;
  return header;
}

std::vector<absl::StatusOr<std::optional<BlockHeader>>>
JsonRpcClient::GetBlocksByNumber(const std::vector<uint64_t>& numbers) {
  std::vector<std::optional<BlockHeader>> headers(numbers.size());
  std::vector<Request> requests;
  requests.reserve(numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    requests.push_back(
        {"eth_getBlockByNumber",
         absl::StrCat("[", Quoted(ToQuantity(numbers[i])), ",false]"),
         OptionalHeaderInto(&headers[i])});
  }
  const std::vector<absl::Status> statuses = Execute(requests);
  std::vector<absl::StatusOr<std::optional<BlockHeader>>> results;
  results.reserve(numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (statuses[i].ok()) {
      results.emplace_back(std::move(headers[i]));
    } else {
      results.emplace_back(statuses[i]);
    }
  }
  return results;
}

absl::StatusOr<std::vector<Log>> JsonRpcClient::GetLogs(
    const LogFilter& filter) {
  std::vector<Log> logs;
  absl::Status status =
      Single("eth_getLogs", absl::StrCat("[", FilterObject(filter), "]"),
             [&logs](const element& result) -> absl::Status {
               simdjson::dom::array list;
               if (result.get(list) != simdjson::SUCCESS)
                 return Malformed("result is not an array");
               logs.clear();
               logs.reserve(list.size());
               for (element item : list) {
                 absl::StatusOr<Log> log = ParseLog(item);
                 if (!log.ok())
                   return absl::InvalidArgumentError(absl::StrCat(
                       "log ", logs.size(), ": ", log.status().message()));
                 logs.push_back(*std::move(log));
               }
               return absl::OkStatus();
             });
  if (!status.ok()) return status;
  return logs;
}

absl::StatusOr<Bytes> JsonRpcClient::EthCall(const CallRequest& request,
                                             const BlockRef& block) {
  Bytes output;
  absl::Status status = Single(
      "eth_call",
      absl::StrCat("[", CallObject(request), ",", Quoted(block.Param()), "]"),
      [&output](const element& result) -> absl::Status {
        absl::StatusOr<Bytes> bytes = BytesOf(result, "result");
        if (!bytes.ok()) return bytes.status();
        output = *std::move(bytes);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return output;
}

absl::StatusOr<uint64_t> JsonRpcClient::GetTransactionCount(
    const Address& account, const BlockRef& block) {
  uint64_t value = 0;
  absl::Status status = Single("eth_getTransactionCount",
                               absl::StrCat("[", Quoted(account.ToLowerHex()),
                                            ",", Quoted(block.Param()), "]"),
                               QuantityInto(&value, "nonce"));
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<uint64_t> JsonRpcClient::EstimateGas(
    const CallRequest& request) {
  uint64_t value = 0;
  absl::Status status =
      Single("eth_estimateGas", absl::StrCat("[", CallObject(request), "]"),
             QuantityInto(&value, "gas"));
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<Uint256> JsonRpcClient::GasPrice() {
  Uint256 value = 0;
  absl::Status status =
      Single("eth_gasPrice", "[]", QuantityInto(&value, "gasPrice"));
  if (!status.ok()) return status;
  return value;
}

absl::StatusOr<FeeHistory> JsonRpcClient::GetFeeHistory(
    uint64_t block_count, const BlockRef& newest,
    const std::vector<double>& percentiles) {
  FeeHistory history;
  const std::string params = absl::StrCat(
      "[", Quoted(ToQuantity(block_count)), ",", Quoted(newest.Param()), ",[",
      absl::StrJoin(percentiles, ","), "]]");
  absl::Status status = Single(
      "eth_feeHistory", params,
      [&history](const element& result) -> absl::Status {
        absl::StatusOr<uint64_t> oldest = U64At(result, "oldestBlock");
        if (!oldest.ok()) return oldest.status();
        history.oldest_block = *oldest;
        simdjson::dom::array fees;
        if (result["baseFeePerGas"].get(fees) != simdjson::SUCCESS) {
          return Malformed("missing \"baseFeePerGas\"");
        }
        for (element fee : fees) {
          std::string_view text;
          if (fee.get(text) != simdjson::SUCCESS)
            return Malformed("non-string base fee");
          absl::StatusOr<Uint256> value =
              QuantityOf(View(text), "baseFeePerGas");
          if (!value.ok()) return value.status();
          history.base_fee_per_gas.push_back(*value);
        }
        simdjson::dom::array ratios;
        if (result["gasUsedRatio"].get(ratios) == simdjson::SUCCESS) {
          for (element ratio : ratios) {
            double value = 0;
            if (ratio.get(value) != simdjson::SUCCESS)
              return Malformed("bad gasUsedRatio");
            history.gas_used_ratio.push_back(value);
          }
        }
        simdjson::dom::array rewards;
        if (result["reward"].get(rewards) == simdjson::SUCCESS) {
          for (element block : rewards) {
            simdjson::dom::array values;
            if (block.get(values) != simdjson::SUCCESS)
              return Malformed("bad reward");
            std::vector<Uint256>& row = history.reward.emplace_back();
            for (element reward : values) {
              std::string_view text;
              if (reward.get(text) != simdjson::SUCCESS)
                return Malformed("bad reward");
              absl::StatusOr<Uint256> value = QuantityOf(View(text), "reward");
              if (!value.ok()) return value.status();
              row.push_back(*value);
            }
          }
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return history;
}

absl::StatusOr<Hash> JsonRpcClient::SendRawTransaction(ByteSpan raw) {
  Hash hash{};
  absl::Status status = Single(
      "eth_sendRawTransaction", absl::StrCat("[", Quoted(ToHex(raw)), "]"),
      [&hash](const element& result) -> absl::Status {
        std::string_view text;
        if (result.get(text) != simdjson::SUCCESS)
          return Malformed("result is not a string");
        absl::StatusOr<Hash> parsed =
            FixedFromHex<32>(View(text), "transaction hash");
        if (!parsed.ok()) return parsed.status();
        hash = *parsed;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return hash;
}

absl::StatusOr<std::optional<Receipt>> JsonRpcClient::GetTransactionReceipt(
    const Hash& hash) {
  std::optional<Receipt> receipt;
  absl::Status status = Single(
      "eth_getTransactionReceipt", absl::StrCat("[", Quoted(ToHex(hash)), "]"),
      [&receipt](const element& result) -> absl::Status {
        if (result.is_null()) return absl::OkStatus();
        Receipt parsed;
        absl::StatusOr<Hash> transaction = HashAt(result, "transactionHash");
        if (!transaction.ok()) return transaction.status();
        parsed.transaction_hash = *transaction;
        absl::StatusOr<uint64_t> number = U64At(result, "blockNumber");
        if (!number.ok()) return number.status();
        parsed.block_number = *number;
        absl::StatusOr<Hash> block_hash = HashAt(result, "blockHash");
        if (!block_hash.ok()) return block_hash.status();
        parsed.block_hash = *block_hash;
        absl::StatusOr<uint64_t> success = U64At(result, "status");
        if (!success.ok()) return success.status();
        parsed.success = *success == 1;
        absl::StatusOr<uint64_t> gas_used = U64At(result, "gasUsed");
        if (!gas_used.ok()) return gas_used.status();
        parsed.gas_used = *gas_used;
        std::string_view text;
        if (result["effectiveGasPrice"].get(text) == simdjson::SUCCESS) {
          absl::StatusOr<Uint256> price =
              QuantityOf(View(text), "effectiveGasPrice");
          if (!price.ok()) return price.status();
          parsed.effective_gas_price = *price;
        }
        if (result["contractAddress"].get(text) == simdjson::SUCCESS) {
          absl::StatusOr<Address> address =
              Address::Parse(View(text), "contractAddress");
          if (!address.ok()) return address.status();
          parsed.contract_address = *address;
        }
        simdjson::dom::array logs;
        if (result["logs"].get(logs) == simdjson::SUCCESS) {
          for (element item : logs) {
            absl::StatusOr<Log> log = ParseLog(item);
            if (!log.ok()) return log.status();
            parsed.logs.push_back(*std::move(log));
          }
        }
        receipt = std::move(parsed);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return receipt;
}

absl::StatusOr<Bytes> JsonRpcClient::GetCode(const Address& account,
                                             const BlockRef& block) {
  Bytes code;
  absl::Status status = Single("eth_getCode",
                               absl::StrCat("[", Quoted(account.ToLowerHex()),
                                            ",", Quoted(block.Param()), "]"),
                               [&code](const element& result) -> absl::Status {
                                 absl::StatusOr<Bytes> bytes =
                                     BytesOf(result, "code");
                                 if (!bytes.ok()) return bytes.status();
                                 code = *std::move(bytes);
                                 return absl::OkStatus();
                               });
  if (!status.ok()) return status;
  return code;
}

}  // namespace chainsync::evm
