#pragma once

// Times travel between the services and Postgres as microseconds since the
// epoch, which both sides read exactly and the injected clock can supply:
// the SQL to turn a parameter into a timestamptz, and a column into a
// number.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace chainsync {

// kMicrosToTime precedes a bigint parameter or literal: `kMicrosToTime
// "$1::bigint"` is that many microseconds after the epoch.
inline constexpr char kMicrosToTime[] =
    "'epoch'::timestamptz + interval '1 microsecond' * ";

// MicrosOf selects a timestamptz column as microseconds since the epoch
// (NULL stays NULL).
inline std::string MicrosOf(absl::string_view column) {
  return absl::StrCat("(extract(epoch FROM ", column, ") * 1000000)::bigint");
}

}  // namespace chainsync
