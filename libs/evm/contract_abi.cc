#include "libs/evm/contract_abi.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/logging/log.h"
#include "libs/evm/keccak.h"
#include "simdjson.h"

namespace chainsync::evm {
namespace {

std::string CanonicalSignature(absl::string_view name,
                               const std::vector<AbiParameter>& parameters) {
  return absl::StrCat(
      name, "(",
      absl::StrJoin(parameters, ",",
                    [](std::string* out, const AbiParameter& p) {
                      out->append(p.type.Canonical());
                    }),
      ")");
}

// Splits "a, (b,c) d, e" at the commas outside parentheses.
std::vector<absl::string_view> SplitTopLevel(absl::string_view text) {
  std::vector<absl::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == ',' && depth == 0) {
      parts.push_back(
          absl::StripAsciiWhitespace(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  const absl::string_view last = absl::StripAsciiWhitespace(text.substr(start));
  if (!last.empty() || !parts.empty()) parts.push_back(last);
  return parts;
}

// Parses "type [indexed] [name]" items of a parameter list.
absl::StatusOr<std::vector<AbiParameter>> ParseParameterList(
    absl::string_view text) {
  std::vector<AbiParameter> parameters;
  for (const absl::string_view item : SplitTopLevel(text)) {
    // The type ends at the first space outside parentheses.
    int depth = 0;
    size_t end = 0;
    while (end < item.size() && (depth > 0 || item[end] != ' ')) {
      if (item[end] == '(') ++depth;
      if (item[end] == ')') --depth;
      ++end;
    }
    absl::StatusOr<AbiType> type = AbiType::Parse(item.substr(0, end));
    if (!type.ok()) return type.status();
    AbiParameter parameter;
    parameter.type = *std::move(type);
    for (const absl::string_view word :
         absl::StrSplit(item.substr(end), ' ', absl::SkipEmpty())) {
      if (word == "indexed") {
        parameter.indexed = true;
      } else if (parameter.name.empty()) {
        parameter.name = std::string(word);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected \"", word, "\" in parameter \"", item, "\""));
      }
    }
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

// Splits "name(params) rest" into its parts.
absl::Status SplitSignature(absl::string_view signature,
                            absl::string_view* name,
                            absl::string_view* parameters,
                            absl::string_view* rest) {
  const size_t open = signature.find('(');
  int depth = 0;
  size_t close = absl::string_view::npos;
  for (size_t i = open; open != absl::string_view::npos && i < signature.size();
       ++i) {
    if (signature[i] == '(') ++depth;
    if (signature[i] == ')' && --depth == 0) {
      close = i;
      break;
    }
  }
  if (open == absl::string_view::npos || close == absl::string_view::npos ||
      open == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature \"", signature, "\" is not name(parameters)"));
  }
  *name = absl::StripAsciiWhitespace(signature.substr(0, open));
  *parameters = signature.substr(open + 1, close - open - 1);
  *rest = absl::StripAsciiWhitespace(signature.substr(close + 1));
  return absl::OkStatus();
}

std::vector<AbiType> TypesOf(const std::vector<AbiParameter>& parameters) {
  std::vector<AbiType> types;
  for (const AbiParameter& parameter : parameters)
    types.push_back(parameter.type);
  return types;
}

std::vector<std::string> NamesOf(const std::vector<AbiParameter>& parameters) {
  std::vector<std::string> names;
  for (const AbiParameter& parameter : parameters)
    names.push_back(parameter.name);
  return names;
}

// ABI JSON --------------------------------------------------------------

// The string at `key`, or `fallback` when absent. simdjson speaks
// std::string_view; this codebase absl::string_view (docs/adr/0002).
absl::string_view StringOr(simdjson::dom::element json, const char* key,
                           absl::string_view fallback) {
  std::string_view value;
  if (json[key].get(value) != simdjson::SUCCESS) return fallback;
  return absl::string_view(value.data(), value.size());
}

bool BoolOr(simdjson::dom::element json, const char* key, bool fallback) {
  bool value;
  return json[key].get(value) == simdjson::SUCCESS ? value : fallback;
}

absl::StatusOr<AbiParameter> ParameterFromJson(simdjson::dom::element json,
                                               int depth);

absl::StatusOr<std::vector<AbiParameter>> ParametersFromJson(
    simdjson::dom::element json, const char* key, int depth) {
  std::vector<AbiParameter> parameters;
  simdjson::dom::array list;
  if (json[key].get(list) != simdjson::SUCCESS)
    return parameters;  // absent: none
  size_t index = 0;
  for (simdjson::dom::element item : list) {
    absl::StatusOr<AbiParameter> parameter = ParameterFromJson(item, depth);
    if (!parameter.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, " ", index, ": ", parameter.status().message()));
    }
    parameters.push_back(*std::move(parameter));
    ++index;
  }
  return parameters;
}

absl::StatusOr<AbiParameter> ParameterFromJson(simdjson::dom::element json,
                                               int depth) {
  if (depth > 32)
    return absl::InvalidArgumentError("components nested too deeply");
  AbiParameter parameter;
  parameter.name = std::string(StringOr(json, "name", ""));
  parameter.indexed = BoolOr(json, "indexed", false);
  const absl::string_view type_text = StringOr(json, "type", "");
  if (type_text.empty()) {
    return absl::InvalidArgumentError("parameter has no \"type\"");
  }
  if (!absl::StartsWith(type_text, "tuple")) {
    absl::StatusOr<AbiType> type = AbiType::Parse(type_text);
    if (!type.ok()) return type.status();
    parameter.type = *std::move(type);
    return parameter;
  }
  // "tuple", "tuple[]", "tuple[2][]": the components come from "components",
  // the array suffixes from the type text.
  absl::StatusOr<std::vector<AbiParameter>> components =
      ParametersFromJson(json, "components", depth + 1);
  if (!components.ok()) return components.status();
  AbiType type = AbiType::Tuple(TypesOf(*components), NamesOf(*components));
  absl::string_view suffix = type_text.substr(5);
  while (!suffix.empty()) {
    const size_t close = suffix.find(']');
    int size = 0;
    if (suffix[0] != '[' || close == absl::string_view::npos ||
        (close > 1 &&
         (!absl::SimpleAtoi(suffix.substr(1, close - 1), &size) || size < 1))) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad tuple type \"", type_text, "\""));
    }
    type = close == 1 ? AbiType::Array(std::move(type))
                      : AbiType::FixedArray(std::move(type), size);
    suffix.remove_prefix(close + 1);
  }
  parameter.type = std::move(type);
  return parameter;
}

}  // namespace

AbiEvent::AbiEvent(std::string name, std::vector<AbiParameter> inputs,
                   bool anonymous)
    : name_(std::move(name)),
      inputs_(std::move(inputs)),
      anonymous_(anonymous),
      signature_(CanonicalSignature(name_, inputs_)),
      topic0_(Keccak256(signature_)) {
  for (const AbiParameter& input : inputs_) {
    if (input.indexed) continue;
    data_types_.push_back(input.type);
    data_names_.push_back(input.name);
  }
}

absl::StatusOr<AbiEvent> AbiEvent::Parse(absl::string_view signature) {
  absl::string_view name, parameters, rest;
  if (absl::Status status =
          SplitSignature(signature, &name, &parameters, &rest);
      !status.ok()) {
    return status;
  }
  const bool anonymous = rest == "anonymous";
  if (!rest.empty() && !anonymous) {
    return absl::InvalidArgumentError(
        absl::StrCat("event \"", signature, "\": unexpected \"", rest, "\""));
  }
  absl::StatusOr<std::vector<AbiParameter>> inputs =
      ParseParameterList(parameters);
  if (!inputs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event \"", signature, "\": ", inputs.status().message()));
  }
  return AbiEvent(std::string(name), *std::move(inputs), anonymous);
}

absl::StatusOr<std::vector<AbiValue>> AbiEvent::Decode(
    absl::Span<const Hash> topics, ByteSpan data) const {
  const size_t indexed = inputs_.size() - data_types_.size();
  const size_t expected = indexed + (anonymous_ ? 0 : 1);
  if (topics.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", signature_, ": expected ", expected,
                     " topics, got ", topics.size()));
  }
  if (!anonymous_ && topics[0] != topic0_) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", signature_, ": topic0 ", ToHex(topics[0]),
                     " is not this event's ", ToHex(topic0_)));
  }
  absl::StatusOr<std::vector<AbiValue>> data_values =
      DecodeParameters(data_types_, data, data_names_);
  if (!data_values.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event ", signature_, ": ", data_values.status().message()));
  }
  std::vector<AbiValue> values;
  values.reserve(inputs_.size());
  size_t topic = anonymous_ ? 0 : 1;
  size_t data_index = 0;
  for (const AbiParameter& input : inputs_) {
    if (!input.indexed) {
      values.push_back(std::move((*data_values)[data_index++]));
      continue;
    }
    const Hash& word = topics[topic++];
    if (input.type.IsDynamic() || input.type.kind() == AbiType::Kind::kTuple ||
        input.type.kind() == AbiType::Kind::kFixedArray) {
      values.push_back(AbiValue(Bytes(word.begin(), word.end())));
      continue;
    }
    absl::StatusOr<std::vector<AbiValue>> value =
        DecodeParameters({input.type}, word, {input.name});
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event ", signature_, ": indexed ", value.status().message()));
    }
    values.push_back(std::move(value->front()));
  }
  return values;
}

void AbiEvent::AppendArgumentsJson(std::string* out,
                                   const std::vector<AbiValue>& values) const {
  out->push_back('{');
  for (size_t i = 0; i < values.size() && i < inputs_.size(); ++i) {
    if (i > 0) out->push_back(',');
    const AbiParameter& input = inputs_[i];
    log::AppendJsonString(
        out, input.name.empty() ? absl::StrCat("arg", i) : input.name);
    out->push_back(':');
    // An indexed dynamic value is its hash, bytes32-shaped.
    const bool hashed =
        input.indexed &&
        (input.type.IsDynamic() || input.type.kind() == AbiType::Kind::kTuple ||
         input.type.kind() == AbiType::Kind::kFixedArray);
    if (hashed) {
      AppendAbiValueJson(out, *AbiType::Parse("bytes32"), values[i]);
    } else {
      AppendAbiValueJson(out, input.type, values[i]);
    }
  }
  out->push_back('}');
}

AbiFunction::AbiFunction(std::string name, std::vector<AbiParameter> inputs,
                         std::vector<AbiParameter> outputs)
    : name_(std::move(name)),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      signature_(CanonicalSignature(name_, inputs_)) {
  const Hash hash = Keccak256(signature_);
  std::copy(hash.begin(), hash.begin() + 4, selector_.begin());
}

absl::StatusOr<AbiFunction> AbiFunction::Parse(absl::string_view signature) {
  absl::string_view name, parameters, rest;
  if (absl::Status status =
          SplitSignature(signature, &name, &parameters, &rest);
      !status.ok()) {
    return status;
  }
  absl::StatusOr<std::vector<AbiParameter>> inputs =
      ParseParameterList(parameters);
  if (!inputs.ok()) return inputs.status();
  std::vector<AbiParameter> outputs;
  if (!rest.empty()) {
    absl::string_view returns = rest;
    absl::string_view ignored_name, output_text, tail;
    if (!absl::ConsumePrefix(&returns, "returns") ||
        !SplitSignature(absl::StrCat("r", returns), &ignored_name, &output_text,
                        &tail)
             .ok() ||
        !tail.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "function \"", signature, "\": expected \"returns (...)\""));
    }
    absl::StatusOr<std::vector<AbiParameter>> parsed =
        ParseParameterList(output_text);
    if (!parsed.ok()) return parsed.status();
    outputs = *std::move(parsed);
  }
  return AbiFunction(std::string(name), *std::move(inputs), std::move(outputs));
}

absl::StatusOr<Bytes> AbiFunction::EncodeCall(
    const std::vector<AbiValue>& arguments) const {
  absl::StatusOr<Bytes> encoded = EncodeParameters(TypesOf(inputs_), arguments);
  if (!encoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(signature_, ": ", encoded.status().message()));
  }
  Bytes call(selector_.begin(), selector_.end());
  call.insert(call.end(), encoded->begin(), encoded->end());
  return call;
}

absl::StatusOr<std::vector<AbiValue>> AbiFunction::DecodeOutput(
    ByteSpan data) const {
  absl::StatusOr<std::vector<AbiValue>> values =
      DecodeParameters(TypesOf(outputs_), data, NamesOf(outputs_));
  if (!values.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(signature_, " returned: ", values.status().message()));
  }
  return values;
}

absl::StatusOr<ContractAbi> ContractAbi::FromJson(absl::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (auto error = parser.parse(json.data(), json.size()).get(document);
      error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ABI JSON is not valid JSON: ", simdjson::error_message(error)));
  }
  simdjson::dom::array entries;
  if (document.get(entries) != simdjson::SUCCESS &&
      document["abi"].get(entries) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        "ABI JSON must be an array of entries, or an object with an \"abi\" "
        "array");
  }
  ContractAbi abi;
  size_t index = 0;
  for (simdjson::dom::element entry : entries) {
    const absl::string_view kind = StringOr(entry, "type", "function");
    const absl::string_view name = StringOr(entry, "name", "");
    const auto fail = [&](const absl::Status& status) {
      return absl::InvalidArgumentError(absl::StrCat("ABI JSON entry ", index,
                                                     " (", kind, " ", name,
                                                     "): ", status.message()));
    };
    absl::StatusOr<std::vector<AbiParameter>> inputs =
        ParametersFromJson(entry, "inputs", 0);
    if (!inputs.ok()) return fail(inputs.status());
    if (kind == "event") {
      const bool anonymous = BoolOr(entry, "anonymous", false);
      if (name.empty())
        return fail(absl::InvalidArgumentError("event has no name"));
      abi.events_.emplace_back(std::string(name), *std::move(inputs),
                               anonymous);
      if (!anonymous)
        abi.events_by_topic_[abi.events_.back().topic0()] =
            abi.events_.size() - 1;
    } else if (kind == "function") {
      absl::StatusOr<std::vector<AbiParameter>> outputs =
          ParametersFromJson(entry, "outputs", 0);
      if (!outputs.ok()) return fail(outputs.status());
      if (name.empty())
        return fail(absl::InvalidArgumentError("function has no name"));
      abi.functions_.emplace_back(std::string(name), *std::move(inputs),
                                  *std::move(outputs));
    } else if (kind == "constructor") {
      abi.constructor_inputs_ = *std::move(inputs);
    }
    ++index;
  }
  return abi;
}

const AbiEvent* ContractAbi::FindEvent(const Hash& topic0) const {
  const auto found = events_by_topic_.find(topic0);
  return found == events_by_topic_.end() ? nullptr : &events_[found->second];
}

const AbiFunction* ContractAbi::FindFunction(absl::string_view name) const {
  for (const AbiFunction& function : functions_) {
    if (function.name() == name) return &function;
  }
  return nullptr;
}

}  // namespace chainsync::evm
