#include "libs/evm/rlp.h"

namespace chainsync::evm {
namespace {

constexpr int kMaxDepth = 64;

absl::Status Malformed(absl::string_view what, size_t offset) {
  return absl::InvalidArgumentError(
      absl::StrCat("rlp: ", what, " at offset ", offset));
}

// Appends a string or list header for a payload of `length` bytes.
void AppendHeader(Bytes* out, uint8_t short_base, size_t length) {
  if (length < 56) {
    out->push_back(static_cast<uint8_t>(short_base + length));
    return;
  }
  uint8_t digits[8];
  int count = 0;
  for (size_t rest = length; rest > 0; rest >>= 8) {
    digits[count++] = static_cast<uint8_t>(rest & 0xFF);
  }
  out->push_back(static_cast<uint8_t>(short_base + 55 + count));
  for (int i = count - 1; i >= 0; --i) out->push_back(digits[i]);
}

void AppendString(Bytes* out, ByteSpan payload) {
  if (payload.size() == 1 && payload[0] < 0x80) {
    out->push_back(payload[0]);
    return;
  }
  AppendHeader(out, 0x80, payload.size());
  out->insert(out->end(), payload.begin(), payload.end());
}

class Decoder {
 public:
  explicit Decoder(ByteSpan input) : input_(input) {}

  // Decodes the item at `offset`, ending at most at `end`; sets `next` to the
  // offset after it.
  absl::StatusOr<RlpItem> Item(size_t offset, size_t end, int depth,
                               size_t* next) {
    if (offset >= end) return Malformed("truncated input", offset);
    const uint8_t prefix = input_[offset];
    RlpItem item;
    if (prefix < 0x80) {
      item.bytes = input_.subspan(offset, 1);
      *next = offset + 1;
      return item;
    }
    const bool list = prefix >= 0xC0;
    const uint8_t base = list ? 0xC0 : 0x80;
    size_t header = 1;
    size_t length;
    if (prefix - base < 56) {
      length = prefix - base;
    } else {
      const size_t length_bytes = prefix - base - 55;
      if (end - offset - 1 < length_bytes)
        return Malformed("truncated length", offset);
      if (input_[offset + 1] == 0)
        return Malformed("length with leading zeros", offset);
      length = 0;
      for (size_t i = 0; i < length_bytes; ++i) {
        length = length << 8 | input_[offset + 1 + i];
      }
      if (length < 56)
        return Malformed("long form for a short payload", offset);
      header += length_bytes;
    }
    if (length > end - offset - header) {
      return Malformed(absl::StrCat("length ", length, " exceeds the input"),
                       offset);
    }
    const size_t start = offset + header;
    *next = start + length;
    if (!list) {
      if (length == 1 && input_[start] < 0x80) {
        return Malformed("single byte below 0x80 encoded as a string", offset);
      }
      item.bytes = input_.subspan(start, length);
      return item;
    }
    if (depth >= kMaxDepth) return Malformed("lists nested too deeply", offset);
    item.is_list = true;
    for (size_t at = start; at < *next;) {
      size_t after;
      absl::StatusOr<RlpItem> child = Item(at, *next, depth + 1, &after);
      if (!child.ok()) return child.status();
      item.list.push_back(*std::move(child));
      at = after;
    }
    return item;
  }

 private:
  ByteSpan input_;
};

}  // namespace

absl::StatusOr<RlpItem> RlpDecode(ByteSpan input) {
  Decoder decoder(input);
  size_t next;
  absl::StatusOr<RlpItem> item = decoder.Item(0, input.size(), 0, &next);
  if (!item.ok()) return item.status();
  if (next != input.size()) return Malformed("trailing bytes", next);
  return item;
}

RlpList& RlpList::AddBytes(ByteSpan payload) {
  AppendString(&payload_, payload);
  return *this;
}

RlpList& RlpList::AddUint(const Uint256& value) {
  const Hash word = ToWord(value);
  size_t first = 0;
  while (first < word.size() && word[first] == 0) ++first;
  AppendString(&payload_, ByteSpan(word).subspan(first));
  return *this;
}

RlpList& RlpList::AddEncoded(ByteSpan encoded) {
  payload_.insert(payload_.end(), encoded.begin(), encoded.end());
  return *this;
}

Bytes RlpList::Encode() const {
  Bytes out;
  out.reserve(payload_.size() + 9);
  AppendHeader(&out, 0xC0, payload_.size());
  out.insert(out.end(), payload_.begin(), payload_.end());
  return out;
}

Bytes RlpEncodeBytes(ByteSpan payload) {
  Bytes out;
  AppendString(&out, payload);
  return out;
}

}  // namespace chainsync::evm
