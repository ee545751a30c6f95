#pragma once

// Rows for COPY ... FROM STDIN (FORMAT binary). Each value travels in its
// type's own binary form, so the server parses no text: no hex for bytea,
// no digits for numbers, no dates. The indexer's bulk writes use it, where
// parsing COPY's text format was a fifth of the server's work.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace chainsync {

class PgBinaryCopy {
 public:
  PgBinaryCopy();

  // Row starts a row; exactly `fields` values follow, in column order.
  PgBinaryCopy& Row(int fields);

  PgBinaryCopy& Null();
  PgBinaryCopy& Int8(int64_t value);
  PgBinaryCopy& Int4(int32_t value);
  PgBinaryCopy& Bool(bool value);
  PgBinaryCopy& Bytea(absl::Span<const uint8_t> bytes);
  // Text is the binary form of text, varchar and json alike.
  PgBinaryCopy& Text(absl::string_view text);
  PgBinaryCopy& Jsonb(absl::string_view json);
  PgBinaryCopy& ByteaArray(absl::Span<const absl::Span<const uint8_t>> items);
  // Numeric takes an unsigned integer as 64-bit limbs, least significant
  // first (as multiprecision libraries hold them).
  PgBinaryCopy& Numeric(absl::Span<const uint64_t> limbs);
  PgBinaryCopy& Timestamptz(int64_t unix_seconds);

  int64_t rows() const { return rows_; }
  // Finish returns the data with COPY's trailer, to send as it is.
  std::string Finish() &&;

 private:
  void Put16(int16_t value);
  void Put32(int32_t value);
  void Put64(int64_t value);
  void PutBytes(const void* data, size_t size);

  std::string data_;
  int64_t rows_ = 0;
};

}  // namespace chainsync
