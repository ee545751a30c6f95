#include "libs/evm/json_rpc_client.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/logging/log.h"
#include "simdjson.h"

namespace chainsync::evm {
namespace {

using simdjson::dom::element;

absl::string_view View(std::string_view text) {
  return {text.data(), text.size()};
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

}  // namespace

absl::StatusOr<BlockHeader> BlockHeaderFromJson(const element& block) {
  return ParseHeader(block);
}

std::string BlockRef::Param() const {
  return tag_.empty() ? ToQuantity(number_) : tag_;
}

absl::StatusOr<std::unique_ptr<JsonRpcClient>> JsonRpcClient::Create(
    const JsonRpcOptions& options,
    std::shared_ptr<JsonRpcTransport> transport) {
  absl::StatusOr<std::shared_ptr<JsonRpcConnection>> connection =
      MakeJsonRpcConnection(options, std::move(transport));
  if (!connection.ok()) return connection.status();
  return std::make_unique<JsonRpcClient>(*std::move(connection), options.call);
}

JsonRpcClient JsonRpcClient::WithRetry(RetryPolicy retry) const {
  JsonRpcCallOptions call = call_;
  call.retry = retry;
  return JsonRpcClient(connection_, call);
}

std::vector<absl::Status> JsonRpcClient::Execute(
    const std::vector<JsonRpcRequest>& requests) {
  JsonRpcAnswer answer = connection_->Exchange(requests, call_);
  if (!answer.failure.ok()) {
    return std::vector<absl::Status>(requests.size(), answer.failure);
  }
  return std::move(answer.outcomes);
}

absl::Status JsonRpcClient::Single(
    std::string method, std::string params,
    std::function<absl::Status(const element&)> parse) {
  std::vector<JsonRpcRequest> requests;
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
  std::vector<JsonRpcRequest> requests;
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
  return std::move(EthCalls({request}, block).front());
}

std::vector<absl::StatusOr<Bytes>> JsonRpcClient::EthCalls(
    const std::vector<CallRequest>& calls, const BlockRef& block) {
  std::vector<Bytes> outputs(calls.size());
  std::vector<JsonRpcRequest> requests;
  requests.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    requests.push_back(
        {"eth_call",
         absl::StrCat("[", CallObject(calls[i]), ",", Quoted(block.Param()),
                      "]"),
         [output = &outputs[i]](const element& result) -> absl::Status {
           absl::StatusOr<Bytes> bytes = BytesOf(result, "result");
           if (!bytes.ok()) return bytes.status();
           *output = *std::move(bytes);
           return absl::OkStatus();
         }});
  }
  const std::vector<absl::Status> statuses = Execute(requests);
  std::vector<absl::StatusOr<Bytes>> results;
  results.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    if (statuses[i].ok()) {
      results.emplace_back(std::move(outputs[i]));
    } else {
      results.emplace_back(statuses[i]);
    }
  }
  return results;
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
