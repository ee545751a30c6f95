#include "libs/evm/abi.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/common/logging/log.h"
#include "libs/common/status.h"

namespace chainsync::evm {

namespace internal {

// AbiTypeParser reads a type expression by recursive descent.
class AbiTypeParser {
 public:
  explicit AbiTypeParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<AbiType> ParseAll() {
    absl::StatusOr<AbiType> type = ParseType(0);
    if (type.ok() && position_ != text_.size()) {
      return Error("unexpected text after the type");
    }
    return type;
  }

 private:
  static constexpr int kMaxDepth = 32;

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "ABI type \"", text_, "\": ", what, " at position ", position_));
  }

  bool At(char c) const {
    return position_ < text_.size() && text_[position_] == c;
  }

  absl::StatusOr<AbiType> ParseType(int depth) {
    if (depth > kMaxDepth) return Error("nested too deeply");
    const bool tuple =
        At('(') || absl::StartsWith(text_.substr(position_), "tuple(");
    absl::StatusOr<AbiType> type =
        tuple ? ParseTuple(depth) : ParseElementary();
    while (type.ok() && At('[')) {
      const size_t close = text_.find(']', position_);
      if (close == absl::string_view::npos) return Error("unclosed '['");
      const absl::string_view length =
          text_.substr(position_ + 1, close - position_ - 1);
      int size = 0;
      if (!length.empty() &&
          (!absl::SimpleAtoi(length, &size) || size < 1 || size > (1 << 20))) {
        return Error(absl::StrCat("bad array length \"", length, "\""));
      }
      position_ = close + 1;
      type = length.empty() ? AbiType::Array(*std::move(type))
                            : AbiType::FixedArray(*std::move(type), size);
    }
    return type;
  }

  absl::StatusOr<AbiType> ParseTuple(int depth) {
    if (!At('(')) position_ += 5;  // "tuple"
    ++position_;
    std::vector<AbiType> components;
    if (At(')')) {
      ++position_;
      return AbiType::Tuple({});
    }
    while (true) {
      absl::StatusOr<AbiType> component = ParseType(depth + 1);
      if (!component.ok()) return component;
      components.push_back(*std::move(component));
      if (position_ >= text_.size()) return Error("unclosed '('");
      const char c = text_[position_++];
      if (c == ')') break;
      if (c != ',')
        return Error(absl::StrCat("unexpected '", std::string(1, c), "'"));
    }
    return AbiType::Tuple(std::move(components));
  }

  absl::StatusOr<AbiType> ParseElementary() {
    using Kind = AbiType::Kind;
    const size_t start = position_;
    while (position_ < text_.size() && absl::ascii_isalnum(text_[position_])) {
      ++position_;
    }
    const absl::string_view name = text_.substr(start, position_ - start);
    if (name.empty()) return Error("expected a type name");
    if (name == "address") return AbiType(Kind::kAddress, 0);
    if (name == "bool") return AbiType(Kind::kBool, 0);
    if (name == "string") return AbiType(Kind::kString, 0);
    if (name == "bytes") return AbiType(Kind::kBytes, 0);
    if (name == "function") return AbiType(Kind::kFixedBytes, 24);
    if (absl::StartsWith(name, "uint"))
      return Sized(name, 4, Kind::kUint, 8, 256, 8, 256);
    if (absl::StartsWith(name, "int"))
      return Sized(name, 3, Kind::kInt, 8, 256, 8, 256);
    if (absl::StartsWith(name, "bytes"))
      return Sized(name, 5, Kind::kFixedBytes, 1, 32, 1, 0);
    return Error(absl::StrCat("unknown type \"", name, "\""));
  }

  // `<prefix><digits>` with the size in [min, max] and a multiple of `step`;
  // `fallback` when the digits are absent (0: they are required).
  absl::StatusOr<AbiType> Sized(absl::string_view name, size_t prefix,
                                AbiType::Kind kind, int min, int max, int step,
                                int fallback) {
    const absl::string_view digits = name.substr(prefix);
    int size = fallback;
    if (digits.empty() && fallback == 0) {
      return Error(absl::StrCat("\"", name, "\" needs a size"));
    }
    if (!digits.empty() && (!absl::SimpleAtoi(digits, &size) || size < min ||
                            size > max || size % step != 0)) {
      return Error(absl::StrCat("invalid size in \"", name, "\""));
    }
    return AbiType(kind, size);
  }

  absl::string_view text_;
  size_t position_ = 0;
};

}  // namespace internal

namespace {

constexpr size_t kWord = 32;
constexpr int kMaxDecodeDepth = 32;

// Path names the value being decoded or encoded, for error messages only; it
// is rendered when something fails, never on the hot path.
struct Path {
  const Path* parent;
  absl::string_view name;  // empty: use the index
  size_t index;
};

std::string Render(const Path* path) {
  if (path == nullptr) return "";
  std::string parent = Render(path->parent);
  if (!path->name.empty()) {
    return parent.empty() ? std::string(path->name)
                          : absl::StrCat(parent, ".", path->name);
  }
  if (path->parent == nullptr) return absl::StrCat("parameter ", path->index);
  return absl::StrCat(parent, "[", path->index, "]");
}

absl::Status PathError(const Path* path, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("ABI ", Render(path), ": ", what));
}

// The mask of the bits above the low `bits` bits.
Uint256 HighMask(int bits) {
  return bits >= 256 ? Uint256(0) : ~Uint256(0) << bits;
}

class Decoder {
 public:
  explicit Decoder(ByteSpan data) : data_(data) {}

  // DecodeList decodes `count` values laid out as a tuple at `base`: heads in
  // order, dynamic values behind offsets relative to `base`.
  template <typename TypeAt, typename NameAt>
  absl::StatusOr<AbiValue::List> DecodeList(size_t count, const TypeAt& type_at,
                                            const NameAt& name_at, size_t base,
                                            const Path* parent, int depth) {
    if (depth > kMaxDecodeDepth) return PathError(parent, "nested too deeply");
    AbiValue::List values;
    values.reserve(count);
    size_t head = base;
    for (size_t i = 0; i < count; ++i) {
      const AbiType& type = type_at(i);
      const Path path{parent, name_at(i), i};
      size_t at = head;
      if (type.IsDynamic()) {
        absl::StatusOr<size_t> offset = ReadSize(head, &path, "offset");
        if (!offset.ok()) return offset.status();
        if (*offset > data_.size() - base) {
          return PathError(
              &path, absl::StrCat("offset ", *offset, " points past the data"));
        }
        at = base + *offset;
      }
      absl::StatusOr<AbiValue> value = DecodeValue(type, at, &path, depth);
      if (!value.ok()) return value.status();
      values.push_back(*std::move(value));
      head += type.HeadSize();
    }
    return values;
  }

 private:
  bool HasWord(size_t at) const {
    return at <= data_.size() && data_.size() - at >= kWord;
  }

  absl::StatusOr<Uint256> ReadWord(size_t at, const Path* path) const {
    if (!HasWord(at)) {
      return PathError(path,
                       absl::StrCat("data too short: needs a word at byte ", at,
                                    " of ", data_.size()));
    }
    return FromBigEndian(data_.subspan(at, kWord));
  }

  // Reads an offset or a length, which must fit the data to mean anything.
  absl::StatusOr<size_t> ReadSize(size_t at, const Path* path,
                                  absl::string_view what) const {
    absl::StatusOr<Uint256> word = ReadWord(at, path);
    if (!word.ok()) return word.status();
    if (*word > data_.size()) {
      return PathError(path,
                       absl::StrCat(what, " ", ToDecimal(*word),
                                    " exceeds the data size ", data_.size()));
    }
    return static_cast<size_t>(*word);
  }

  absl::StatusOr<AbiValue> DecodeValue(const AbiType& type, size_t at,
                                       const Path* path, int depth) {
    using Kind = AbiType::Kind;
    switch (type.kind()) {
      case Kind::kUint: {
        absl::StatusOr<Uint256> word = ReadWord(at, path);
        if (!word.ok()) return word.status();
        if ((*word & HighMask(type.bits())) != 0) {
          return PathError(
              path, absl::StrCat("value too wide for ", type.Canonical()));
        }
        return AbiValue(*word);
      }
      case Kind::kInt: {
        absl::StatusOr<Uint256> word = ReadWord(at, path);
        if (!word.ok()) return word.status();
        // The bits above the sign bit must repeat it.
        const Uint256 upper = *word & HighMask(type.bits() - 1);
        if (upper != 0 && upper != HighMask(type.bits() - 1)) {
          return PathError(
              path, absl::StrCat("value too wide for ", type.Canonical()));
        }
        const bool negative = bit_test(*word, 255);
        return AbiValue(negative ? -Int256(Uint256(~*word + 1))
                                 : Int256(*word));
      }
      case Kind::kAddress: {
        if (!HasWord(at)) return ReadWord(at, path).status();
        const ByteSpan word = data_.subspan(at, kWord);
        if (std::any_of(word.begin(), word.begin() + 12,
                        [](uint8_t b) { return b != 0; })) {
          return PathError(path, "address has dirty high bytes");
        }
        return AbiValue(Address::FromWord(word));
      }
      case Kind::kBool: {
        absl::StatusOr<Uint256> word = ReadWord(at, path);
        if (!word.ok()) return word.status();
        if (*word > 1) return PathError(path, "bool is neither 0 nor 1");
        return AbiValue(*word == 1);
      }
      case Kind::kFixedBytes: {
        if (!HasWord(at)) return ReadWord(at, path).status();
        const ByteSpan word = data_.subspan(at, kWord);
        const size_t size = static_cast<size_t>(type.size());
        if (std::any_of(word.begin() + size, word.end(),
                        [](uint8_t b) { return b != 0; })) {
          return PathError(
              path, absl::StrCat(type.Canonical(), " has dirty low bytes"));
        }
        return AbiValue(Bytes(word.begin(), word.begin() + size));
      }
      case Kind::kBytes:
      case Kind::kString: {
        absl::StatusOr<size_t> length = ReadSize(at, path, "length");
        if (!length.ok()) return length.status();
        if (*length > data_.size() - at - kWord) {
          return PathError(
              path, absl::StrCat("length ", *length, " runs past the data"));
        }
        const ByteSpan content = data_.subspan(at + kWord, *length);
        if (type.kind() == Kind::kString) {
          return AbiValue(std::string(content.begin(), content.end()));
        }
        return AbiValue(Bytes(content.begin(), content.end()));
      }
      case Kind::kArray: {
        absl::StatusOr<size_t> count = ReadSize(at, path, "array length");
        if (!count.ok()) return count.status();
        // Every element takes at least a word of head; a longer array cannot
        // fit, whatever its length word claims.
        const size_t element_head = std::max(type.element().HeadSize(), kWord);
        if (*count > (data_.size() - at - kWord) / element_head) {
          return PathError(path, absl::StrCat("array length ", *count,
                                              " runs past the data"));
        }
        return DecodeElements(type, *count, at + kWord, path, depth);
      }
      case Kind::kFixedArray:
        return DecodeElements(type, static_cast<size_t>(type.size()), at, path,
                              depth);
      case Kind::kTuple: {
        const auto& names = type.names();
        absl::StatusOr<AbiValue::List> values = DecodeList(
            type.components().size(),
            [&](size_t i) -> const AbiType& { return type.components()[i]; },
            [&](size_t i) {
              return i < names.size() ? absl::string_view(names[i]) : "";
            },
            at, path, depth + 1);
        if (!values.ok()) return values.status();
        return AbiValue(*std::move(values));
      }
    }
    return PathError(path, "unknown type");
  }

  absl::StatusOr<AbiValue> DecodeElements(const AbiType& type, size_t count,
                                          size_t base, const Path* path,
                                          int depth) {
    absl::StatusOr<AbiValue::List> values = DecodeList(
        count, [&](size_t) -> const AbiType& { return type.element(); },
        [](size_t) { return absl::string_view(); }, base, path, depth + 1);
    if (!values.ok()) return values.status();
    return AbiValue(*std::move(values));
  }

  ByteSpan data_;
};

void AppendWord(Bytes* out, const Uint256& value) {
  const Hash word = ToWord(value);
  out->insert(out->end(), word.begin(), word.end());
}

void AppendPadded(Bytes* out, ByteSpan content) {
  out->insert(out->end(), content.begin(), content.end());
  out->resize(out->size() + (kWord - content.size() % kWord) % kWord, 0);
}

class Encoder {
 public:
  template <typename TypeAt>
  absl::Status EncodeList(size_t count, const TypeAt& type_at,
                          const AbiValue::List& values, const Path* parent,
                          Bytes* out) {
    if (values.size() != count) {
      return PathError(parent, absl::StrCat("expected ", count, " values, got ",
                                            values.size()));
    }
    size_t head_size = 0;
    for (size_t i = 0; i < count; ++i) head_size += type_at(i).HeadSize();
    Bytes head;
    Bytes tail;
    head.reserve(head_size);
    for (size_t i = 0; i < count; ++i) {
      const AbiType& type = type_at(i);
      const Path path{parent, "", i};
      if (type.IsDynamic()) {
        AppendWord(&head, head_size + tail.size());
        if (absl::Status status = EncodeValue(type, values[i], &path, &tail);
            !status.ok()) {
          return status;
        }
      } else if (absl::Status status =
                     EncodeValue(type, values[i], &path, &head);
                 !status.ok()) {
        return status;
      }
    }
    out->insert(out->end(), head.begin(), head.end());
    out->insert(out->end(), tail.begin(), tail.end());
    return absl::OkStatus();
  }

  absl::Status EncodeValue(const AbiType& type, const AbiValue& value,
                           const Path* path, Bytes* out) {
    using Kind = AbiType::Kind;
    const auto wrong = [&](absl::string_view expected) {
      return PathError(path,
                       absl::StrCat(type.Canonical(), " needs ", expected));
    };
    switch (type.kind()) {
      case Kind::kUint: {
        Uint256 number;
        if (const auto* u = std::get_if<Uint256>(&value.value)) {
          number = *u;
        } else if (const auto* i = std::get_if<Int256>(&value.value);
                   i != nullptr && *i >= 0) {
          number = static_cast<Uint256>(*i);
        } else {
          return wrong("a non-negative integer");
        }
        if ((number & HighMask(type.bits())) != 0) {
          return PathError(path,
                           absl::StrCat(ToDecimal(number), " does not fit in ",
                                        type.Canonical()));
        }
        AppendWord(out, number);
        return absl::OkStatus();
      }
      case Kind::kInt: {
        Int256 number;
        if (const auto* i = std::get_if<Int256>(&value.value)) {
          number = *i;
        } else if (const auto* u = std::get_if<Uint256>(&value.value)) {
          if (bit_test(*u, 255)) return wrong("an integer below 2^255");
          number = Int256(*u);
        } else {
          return wrong("an integer");
        }
        const Int256 limit = Int256(1) << (type.bits() - 1);
        if (number >= limit || number < -limit) {
          return PathError(path,
                           absl::StrCat(ToDecimal(number), " does not fit in ",
                                        type.Canonical()));
        }
        AppendWord(out, number >= 0 ? Uint256(number)
                                    : Uint256(~Uint256(-number) + 1));
        return absl::OkStatus();
      }
      case Kind::kAddress: {
        const auto* address = std::get_if<Address>(&value.value);
        if (address == nullptr) return wrong("an address");
        out->resize(out->size() + 12, 0);
        out->insert(out->end(), address->bytes().begin(),
                    address->bytes().end());
        return absl::OkStatus();
      }
      case Kind::kBool: {
        const auto* flag = std::get_if<bool>(&value.value);
        if (flag == nullptr) return wrong("a bool");
        AppendWord(out, *flag ? 1 : 0);
        return absl::OkStatus();
      }
      case Kind::kFixedBytes: {
        const auto* bytes = std::get_if<Bytes>(&value.value);
        if (bytes == nullptr ||
            bytes->size() != static_cast<size_t>(type.size())) {
          return wrong(absl::StrCat("exactly ", type.size(), " bytes"));
        }
        AppendPadded(out, *bytes);
        return absl::OkStatus();
      }
      case Kind::kBytes: {
        const auto* bytes = std::get_if<Bytes>(&value.value);
        if (bytes == nullptr) return wrong("bytes");
        AppendWord(out, bytes->size());
        AppendPadded(out, *bytes);
        return absl::OkStatus();
      }
      case Kind::kString: {
        const auto* text = std::get_if<std::string>(&value.value);
        if (text == nullptr) return wrong("a string");
        AppendWord(out, text->size());
        AppendPadded(out, AsBytes(*text));
        return absl::OkStatus();
      }
      case Kind::kArray:
      case Kind::kFixedArray: {
        const auto* list = std::get_if<AbiValue::List>(&value.value);
        if (list == nullptr) return wrong("a list");
        if (type.kind() == Kind::kArray) AppendWord(out, list->size());
        const size_t count = type.kind() == Kind::kArray
                                 ? list->size()
                                 : static_cast<size_t>(type.size());
        return EncodeList(
            count, [&](size_t) -> const AbiType& { return type.element(); },
            *list, path, out);
      }
      case Kind::kTuple: {
        const auto* list = std::get_if<AbiValue::List>(&value.value);
        if (list == nullptr) return wrong("a list of components");
        return EncodeList(
            type.components().size(),
            [&](size_t i) -> const AbiType& { return type.components()[i]; },
            *list, path, out);
      }
    }
    return PathError(path, "unknown type");
  }
};

}  // namespace

absl::StatusOr<AbiType> AbiType::Parse(absl::string_view text) {
  return internal::AbiTypeParser(text).ParseAll();
}

AbiType AbiType::Tuple(std::vector<AbiType> components,
                       std::vector<std::string> names) {
  AbiType type(Kind::kTuple, 0);
  type.components_ = std::move(components);
  type.names_ = std::move(names);
  return type;
}

AbiType AbiType::Array(AbiType element) {
  AbiType type(Kind::kArray, 0);
  type.components_.push_back(std::move(element));
  return type;
}

AbiType AbiType::FixedArray(AbiType element, int size) {
  AbiType type(Kind::kFixedArray, size);
  type.components_.push_back(std::move(element));
  return type;
}

bool AbiType::IsDynamic() const {
  switch (kind_) {
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kArray:
      return true;
    case Kind::kFixedArray:
      return element().IsDynamic();
    case Kind::kTuple:
      return std::any_of(components_.begin(), components_.end(),
                         [](const AbiType& c) { return c.IsDynamic(); });
    default:
      return false;
  }
}

size_t AbiType::HeadSize() const {
  if (IsDynamic()) return kWord;
  if (kind_ == Kind::kFixedArray)
    return static_cast<size_t>(size_) * element().HeadSize();
  if (kind_ == Kind::kTuple) {
    size_t size = 0;
    for (const AbiType& component : components_) size += component.HeadSize();
    return size;
  }
  return kWord;
}

std::string AbiType::Canonical() const {
  switch (kind_) {
    case Kind::kUint:
      return absl::StrCat("uint", size_);
    case Kind::kInt:
      return absl::StrCat("int", size_);
    case Kind::kAddress:
      return "address";
    case Kind::kBool:
      return "bool";
    case Kind::kFixedBytes:
      return absl::StrCat("bytes", size_);
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return absl::StrCat(element().Canonical(), "[]");
    case Kind::kFixedArray:
      return absl::StrCat(element().Canonical(), "[", size_, "]");
    case Kind::kTuple:
      return absl::StrCat("(",
                          absl::StrJoin(components_, ",",
                                        [](std::string* out, const AbiType& c) {
                                          out->append(c.Canonical());
                                        }),
                          ")");
  }
  return "";
}

absl::StatusOr<std::vector<AbiValue>> DecodeParameters(
    const std::vector<AbiType>& types, ByteSpan data,
    const std::vector<std::string>& names) {
  return Decoder(data).DecodeList(
      types.size(), [&](size_t i) -> const AbiType& { return types[i]; },
      [&](size_t i) {
        return i < names.size() ? absl::string_view(names[i]) : "";
      },
      0, nullptr, 0);
}

absl::StatusOr<Bytes> EncodeParameters(const std::vector<AbiType>& types,
                                       const std::vector<AbiValue>& values) {
  Bytes out;
  absl::Status status = Encoder().EncodeList(
      types.size(), [&](size_t i) -> const AbiType& { return types[i]; },
      values, nullptr, &out);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<AbiValue> ParseAbiValue(const AbiType& type,
                                       absl::string_view text) {
  using Kind = AbiType::Kind;
  const std::string field = type.Canonical();
  switch (type.kind()) {
    case Kind::kUint: {
      absl::StatusOr<Uint256> value = ParseUint256(text, field);
      if (!value.ok()) return value.status();
      if ((*value & HighMask(type.bits())) != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": ", text, " is too large"));
      }
      return AbiValue(*value);
    }
    case Kind::kInt: {
      const bool negative = absl::ConsumePrefix(&text, "-");
      absl::StatusOr<Uint256> magnitude = ParseUint256(text, field);
      if (!magnitude.ok()) return magnitude.status();
      if (bit_test(*magnitude, 255)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": ", text, " is too large"));
      }
      return AbiValue(negative ? -Int256(*magnitude) : Int256(*magnitude));
    }
    case Kind::kAddress: {
      absl::StatusOr<Address> address = Address::Parse(text, field);
      if (!address.ok()) return address.status();
      return AbiValue(*address);
    }
    case Kind::kBool:
      if (text == "true") return AbiValue(true);
      if (text == "false") return AbiValue(false);
      return absl::InvalidArgumentError(absl::StrCat(
          "bool: ", QuoteValue(text), " is neither true nor false"));
    case Kind::kFixedBytes:
    case Kind::kBytes: {
      absl::StatusOr<Bytes> bytes = FromHex(text, field);
      if (!bytes.ok()) return bytes.status();
      if (type.kind() == Kind::kFixedBytes &&
          bytes->size() != static_cast<size_t>(type.size())) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": expected ", type.size(), " bytes, got ", bytes->size()));
      }
      return AbiValue(*std::move(bytes));
    }
    case Kind::kString:
      return AbiValue(std::string(text));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": arrays and tuples cannot be read from text"));
  }
}

void AppendAbiValueJson(std::string* out, const AbiType& type,
                        const AbiValue& value) {
  using Kind = AbiType::Kind;
  struct Visitor {
    std::string* out;
    const AbiType& type;
    void operator()(const Uint256& v) const {
      log::AppendJsonString(out, ToDecimal(v));
    }
    void operator()(const Int256& v) const {
      log::AppendJsonString(out, ToDecimal(v));
    }
    void operator()(const Address& v) const {
      log::AppendJsonString(out, v.ToChecksumHex());
    }
    void operator()(bool v) const { out->append(v ? "true" : "false"); }
    void operator()(const Bytes& v) const {
      log::AppendJsonString(out, ToHex(v));
    }
    void operator()(const std::string& v) const {
      log::AppendJsonString(out, v);
    }
    void operator()(const AbiValue::List& list) const {
      const bool tuple = type.kind() == Kind::kTuple;
      const auto& names = type.names();
      const bool named =
          tuple && names.size() == list.size() &&
          std::none_of(names.begin(), names.end(),
                       [](const std::string& n) { return n.empty(); });
      out->push_back(named ? '{' : '[');
      for (size_t i = 0; i < list.size(); ++i) {
        if (i > 0) out->push_back(',');
        if (named) {
          log::AppendJsonString(out, names[i]);
          out->push_back(':');
        }
        const AbiType& element =
            tuple ? type.components()[std::min(i, type.components().size() - 1)]
                  : type.element();
        AppendAbiValueJson(out, element, list[i]);
      }
      out->push_back(named ? '}' : ']');
    }
  };
  std::visit(Visitor{out, type}, value.value);
}

}  // namespace chainsync::evm
