#pragma once

// Structured logging: one JSON object per line on stderr, with the fields
// time, level, service, message and then the caller's key/values, so that a
// log pipeline (Loki, Cloud Logging, jq) needs no parsing rules.
//
//   log::Info("batch committed", {{"chain_id", 1}, {"blocks", 500}});
//   {"time":"2026-11-23T10:00:00.123456Z","level":"info","service":"indexer",
//    "message":"batch committed","chain_id":1,"blocks":500}

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace chainsync::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// ParseLevel accepts debug, info, warning (or warn) and error.
absl::StatusOr<Level> ParseLevel(absl::string_view name);

// Field is one key/value of a log line; the value is encoded as JSON when the
// field is built.
class Field {
 public:
  Field(absl::string_view key, absl::string_view value);
  Field(absl::string_view key, const char* value)
      : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, const std::string& value)
      : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, bool value);
  Field(absl::string_view key, double value);
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T> &&
                                                    !std::is_same_v<T, bool>>>
  Field(absl::string_view key, T value)
      : key_(key), json_(std::to_string(value)) {}
  Field(absl::string_view key, const absl::Status& status);
  // Durations as seconds (a JSON number), times as RFC 3339 strings.
  Field(absl::string_view key, absl::Duration value);
  Field(absl::string_view key, absl::Time value);

  absl::string_view key() const { return key_; }
  const std::string& json() const { return json_; }

 private:
  absl::string_view key_;
  std::string json_;
};

// Init sets the service name and minimum level of the process. gRPC's own
// log output is routed here by RouteGrpcLogs (grpc_log.h).
void Init(absl::string_view service, Level level);

// Enabled tells whether a line of `level` would be written; check it before
// building expensive fields.
bool Enabled(Level level);

// Write emits one line if `level` is enabled. Thread-safe; a line is written
// with a single write so lines of concurrent threads never interleave.
void Write(Level level, absl::string_view message,
           std::initializer_list<Field> fields = {});

inline void Debug(absl::string_view message,
                  std::initializer_list<Field> fields = {}) {
  Write(Level::kDebug, message, fields);
}
inline void Info(absl::string_view message,
                 std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, message, fields);
}
inline void Warning(absl::string_view message,
                    std::initializer_list<Field> fields = {}) {
  Write(Level::kWarning, message, fields);
}
inline void Error(absl::string_view message,
                  std::initializer_list<Field> fields = {}) {
  Write(Level::kError, message, fields);
}

// AppendJsonString appends `value` as a quoted JSON string, escaping quotes,
// backslashes and control characters and replacing invalid UTF-8 with U+FFFD.
void AppendJsonString(std::string* out, absl::string_view value);

// SetSinkForTesting sends lines (without the newline) to `sink` instead of
// stderr; an empty function restores stderr.
void SetSinkForTesting(std::function<void(absl::string_view)> sink);

// Throttle lets a line that may repeat in a storm (a refused connection, a
// failing accept) through at most once per interval, and counts the ones it
// held back, so that a flood costs a line a second, not a hundred thousand.
// Thread-safe.
class Throttle {
 public:
  explicit Throttle(absl::Duration interval = absl::Seconds(1),
                    Clock& clock = SystemClock())
      : interval_(interval), clock_(clock) {}

  // Allow tells whether to write the line now; when it does, `held_back`
  // is how many lines it held back since the last one.
  bool Allow(int64_t* held_back);

 private:
  const absl::Duration interval_;
  Clock& clock_;
  std::mutex mu_;
  absl::Time next_ = absl::InfinitePast();
  int64_t held_back_ = 0;
};

}  // namespace chainsync::log
