#include "libs/common/postgres/binary_copy.h"

#include <endian.h>

#include "absl/container/inlined_vector.h"

namespace chainsync {
namespace {

// The signature, flags and header extension length that open the data.
constexpr char kHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
constexpr uint32_t kByteaOid = 17;
// Timestamps count microseconds from 2000-01-01 00:00:00 UTC.
constexpr int64_t kPostgresEpochUnixSeconds = 946'684'800;

}  // namespace

PgBinaryCopy::PgBinaryCopy() { data_.assign(kHeader, sizeof(kHeader) - 1); }

void PgBinaryCopy::Put16(int16_t value) {
  const uint16_t big = htobe16(static_cast<uint16_t>(value));
  PutBytes(&big, sizeof(big));
}

void PgBinaryCopy::Put32(int32_t value) {
  const uint32_t big = htobe32(static_cast<uint32_t>(value));
  PutBytes(&big, sizeof(big));
}

void PgBinaryCopy::Put64(int64_t value) {
  const uint64_t big = htobe64(static_cast<uint64_t>(value));
  PutBytes(&big, sizeof(big));
}

void PgBinaryCopy::PutBytes(const void* data, size_t size) {
  data_.append(static_cast<const char*>(data), size);
}

PgBinaryCopy& PgBinaryCopy::Row(int fields) {
  Put16(static_cast<int16_t>(fields));
  ++rows_;
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Null() {
  Put32(-1);
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Int8(int64_t value) {
  Put32(8);
  Put64(value);
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Int4(int32_t value) {
  Put32(4);
  Put32(value);
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Bool(bool value) {
  Put32(1);
  data_.push_back(value ? 1 : 0);
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Bytea(absl::Span<const uint8_t> bytes) {
  Put32(static_cast<int32_t>(bytes.size()));
  PutBytes(bytes.data(), bytes.size());
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Text(absl::string_view text) {
  Put32(static_cast<int32_t>(text.size()));
  PutBytes(text.data(), text.size());
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Jsonb(absl::string_view json) {
  // jsonb's binary form is a format version, 1, and then the text.
  Put32(static_cast<int32_t>(json.size() + 1));
  data_.push_back(1);
  PutBytes(json.data(), json.size());
  return *this;
}

PgBinaryCopy& PgBinaryCopy::ByteaArray(
    absl::Span<const absl::Span<const uint8_t>> items) {
  // Dimensions, a has-nulls flag, the element type, then for the one
  // dimension its length and lower bound; an empty array has none.
  int32_t size = 12 + (items.empty() ? 0 : 8);
  for (absl::Span<const uint8_t> item : items)
    size += 4 + static_cast<int32_t>(item.size());
  Put32(size);
  Put32(items.empty() ? 0 : 1);
  Put32(0);
  Put32(static_cast<int32_t>(kByteaOid));
  if (!items.empty()) {
    Put32(static_cast<int32_t>(items.size()));
    Put32(1);
  }
  for (absl::Span<const uint8_t> item : items) Bytea(item);
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Numeric(absl::Span<const uint64_t> limbs) {
  // numeric's binary form: base-10000 digits, most significant first, with
  // the weight (the power of 10000 of the first digit); trailing zero
  // digits are left out.
  // Inline room for 256 bits: amounts are converted several times per
  // indexed event, so they should not allocate.
  absl::InlinedVector<uint64_t, 4> rest(limbs.begin(), limbs.end());
  while (!rest.empty() && rest.back() == 0) rest.pop_back();
  absl::InlinedVector<int16_t, 20> digits;  // least significant first
  while (!rest.empty()) {
    unsigned __int128 remainder = 0;
    for (size_t i = rest.size(); i-- > 0;) {
      const unsigned __int128 part = (remainder << 64) | rest[i];
      rest[i] = static_cast<uint64_t>(part / 10000);
      remainder = part % 10000;
    }
    digits.push_back(static_cast<int16_t>(remainder));
    while (!rest.empty() && rest.back() == 0) rest.pop_back();
  }
  const int16_t weight = static_cast<int16_t>(digits.size()) - 1;
  size_t skipped = 0;
  while (skipped < digits.size() && digits[skipped] == 0) ++skipped;
  const size_t kept = digits.size() - skipped;
  Put32(static_cast<int32_t>(8 + 2 * kept));
  Put16(static_cast<int16_t>(kept));
  Put16(kept == 0 ? 0 : weight);
  Put16(0);  // the sign: positive
  Put16(0);  // no digits after the decimal point
  for (size_t i = digits.size(); i-- > skipped;) Put16(digits[i]);
  return *this;
}

PgBinaryCopy& PgBinaryCopy::Timestamptz(int64_t unix_seconds) {
  return Int8((unix_seconds - kPostgresEpochUnixSeconds) * 1'000'000);
}

std::string PgBinaryCopy::Finish() && {
  Put16(-1);
  return std::move(data_);
}

}  // namespace chainsync
