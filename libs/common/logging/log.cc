#include "libs/common/logging/log.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace chainsync::log {
namespace {

struct LoggerState {
  std::mutex mu;
  std::string service = "chainsync";
  std::function<void(absl::string_view)> sink;
};

LoggerState& State() {
  static LoggerState* state = new LoggerState;
  return *state;
}

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string FormatRfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t length;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warning" || lower == "warn") return Level::kWarning;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown log level \"", name, "\": use debug, info, warning or error"));
}

void AppendJsonString(std::string* out, absl::string_view value) {
  out->push_back('"');
  for (size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            absl::StrAppendFormat(out, "\\u%04x", c);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    const size_t length = Utf8SequenceLength(value, i);
    if (length == 0) {
      out->append("\\ufffd");
      ++i;
    } else {
      absl::StrAppend(out, value.substr(i, length));
      i += length;
    }
  }
  out->push_back('"');
}

Field::Field(absl::string_view key, absl::string_view value) : key_(key) {
  AppendJsonString(&json_, value);
}

Field::Field(absl::string_view key, bool value)
    : key_(key), json_(value ? "true" : "false") {}

Field::Field(absl::string_view key, double value) : key_(key) {
  // JSON has no NaN or infinity; log them as strings rather than break the
  // line.
  if (std::isfinite(value)) {
    json_ = absl::StrFormat("%.17g", value);
  } else {
    AppendJsonString(&json_, absl::StrCat(value));
  }
}

Field::Field(absl::string_view key, const absl::Status& status) : key_(key) {
  AppendJsonString(&json_, status.ToString());
}

Field::Field(absl::string_view key, absl::Duration value)
    : Field(key, absl::ToDoubleSeconds(value)) {}

Field::Field(absl::string_view key, absl::Time value) : key_(key) {
  AppendJsonString(&json_, FormatRfc3339(value));
}

void Init(absl::string_view service, Level level) {
  {
    LoggerState& state = State();
    std::lock_guard<std::mutex> lock(state.mu);
    state.service = std::string(service);
  }
  min_level.store(static_cast<int>(level));
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

void Write(Level level, absl::string_view message,
           std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  LoggerState& state = State();
  std::string line;
  line.reserve(128 + message.size());
  line.append("{\"time\":\"");
  line.append(FormatRfc3339(absl::Now()));
  line.append("\",\"level\":\"");
  absl::StrAppend(&line, LevelName(level));
  line.append("\",\"service\":");
  std::function<void(absl::string_view)> sink;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    AppendJsonString(&line, state.service);
    sink = state.sink;
  }
  line.append(",\"message\":");
  AppendJsonString(&line, message);
  for (const Field& field : fields) {
    line.push_back(',');
    AppendJsonString(&line, field.key());
    line.push_back(':');
    line.append(field.json());
  }
  line.push_back('}');
  if (sink) {
    sink(line);
    return;
  }
  line.push_back('\n');
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written <= 0) break;
    data += written;
    left -= static_cast<size_t>(written);
  }
}

void SetSinkForTesting(std::function<void(absl::string_view)> sink) {
  LoggerState& state = State();
  std::lock_guard<std::mutex> lock(state.mu);
  state.sink = std::move(sink);
}

bool Throttle::Allow(int64_t* held_back) {
  const absl::Time now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (now < next_) {
    ++held_back_;
    return false;
  }
  next_ = now + interval_;
  *held_back = held_back_;
  held_back_ = 0;
  return true;
}

}  // namespace chainsync::log
