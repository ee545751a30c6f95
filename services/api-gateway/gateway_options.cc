#include "services/api-gateway/gateway_options.h"

#include <tuple>
#include <type_traits>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/common/config/flags.h"

ABSL_FLAG(int32_t, http_port, 8080,
          "HTTP port of the public API (0 picks a free one).");
ABSL_FLAG(int32_t, admin_port, 9100,
          "Admin HTTP port serving /metrics, /healthz and /readyz, apart from "
          "the public API (0 picks a free one).");
ABSL_FLAG(int32_t, http_threads, 2, "Threads serving HTTP connections.");
ABSL_FLAG(int64_t, max_connections, 0,
          "HTTP connections open at once, at most; 0 for as many as the "
          "descriptor limit leaves room for.");
ABSL_FLAG(int64_t, max_connections_per_address, 1000,
          "HTTP connections open at once from one client address; 0 for no "
          "cap (behind a proxy that is the only client address).");
ABSL_FLAG(int64_t, max_body_bytes, 1 << 20,
          "Largest request body accepted; larger ones get 413.");

ABSL_FLAG(int64_t, realtime_ring, 10'000,
          "Recent events kept for realtime clients that resume; clients "
          "further behind replay from the indexer first.");
ABSL_FLAG(int64_t, realtime_client_queue, 1'000,
          "Events a realtime client may have unwritten; a client further "
          "behind is disconnected and may resume.");
ABSL_FLAG(int64_t, realtime_send_buffer, 256 << 10,
          "Kernel send buffer of each realtime client's socket, in bytes "
          "(0: the system's self-tuning default). With the client queue, it "
          "bounds what a stalled client holds.");
ABSL_FLAG(int64_t, realtime_max_catch_ups, 64,
          "Realtime clients catching up at once; more are answered 503.");
ABSL_FLAG(int64_t, cache_entries, 100'000,
          "Answers of cacheable routes (an account's balances) kept in memory "
          "until an indexed event touches the account; 0 keeps none.");
ABSL_FLAG(absl::Duration, realtime_heartbeat, absl::Seconds(15),
          "Interval of SSE heartbeat comments and WebSocket pings.");

namespace chainsync::gateway {
namespace {

absl::StatusOr<int64_t> FlagInRange(const absl::Flag<int64_t>& flag,
                                    absl::string_view name, int64_t low,
                                    int64_t high) {
  const int64_t value = absl::GetFlag(flag);
  if (value < low || value > high) {
    return InvalidFlag(name, absl::StrCat(value),
                       absl::StrCat("must be from ", low, " to ", high));
  }
  return value;
}

}  // namespace

absl::StatusOr<ServiceHostOptions> GatewayHostOptionsFromFlags() {
  absl::StatusOr<ServiceHostOptions> options =
      ServiceHostOptionsFromFlags("gateway");
  if (!options.ok()) return options;
  const int32_t port = absl::GetFlag(FLAGS_http_port);
  const int32_t admin_port = absl::GetFlag(FLAGS_admin_port);
  for (const auto& [name, value] :
       {std::pair{"http_port", port}, std::pair{"admin_port", admin_port}}) {
    if (absl::Status status = ValidatePort(name, value); !status.ok()) {
      return status;
    }
  }
  const int32_t threads = absl::GetFlag(FLAGS_http_threads);
  if (threads < 1 || threads > 256) {
    return InvalidFlag("http_threads", absl::StrCat(threads),
                       "must be from 1 to 256");
  }
  const int64_t max_body = absl::GetFlag(FLAGS_max_body_bytes);
  if (max_body < 1 || max_body > (int64_t{1} << 30)) {
    return InvalidFlag("max_body_bytes", absl::StrCat(max_body),
                       "must be from 1 to 1073741824");
  }
  options->admin.emplace();
  options->admin->host = options->http.host;
  options->admin->port = admin_port;
  options->http.port = port;
  options->http.threads = threads;
  options->http.max_body_bytes = static_cast<size_t>(max_body);
  for (const auto& [flag, name, option] :
       {std::tuple{&FLAGS_max_connections, "max_connections",
                   &options->http.max_connections},
        std::tuple{&FLAGS_max_connections_per_address,
                   "max_connections_per_address",
                   &options->http.max_connections_per_address}}) {
    absl::StatusOr<int64_t> value = FlagInRange(*flag, name, 0, 10'000'000);
    if (!value.ok()) return value.status();
    *option = static_cast<size_t>(*value);
  }
  return options;
}

absl::StatusOr<RealtimeOptions> RealtimeOptionsFromFlags() {
  RealtimeOptions options;
  // Reads a flag within its range into its option.
  const auto read = [](const absl::Flag<int64_t>& flag, absl::string_view name,
                       int64_t low, int64_t high, auto& option) {
    absl::StatusOr<int64_t> value = FlagInRange(flag, name, low, high);
    if (value.ok()) {
      option = static_cast<std::remove_reference_t<decltype(option)>>(*value);
    }
    return value.status();
  };
  for (const absl::Status& status :
       {read(FLAGS_realtime_ring, "realtime_ring", 1, 10'000'000,
             options.ring_size),
        read(FLAGS_realtime_client_queue, "realtime_client_queue", 1, 1'000'000,
             options.client_queue),
        read(FLAGS_realtime_send_buffer, "realtime_send_buffer", 0, 64 << 20,
             options.send_buffer_bytes),
        read(FLAGS_realtime_max_catch_ups, "realtime_max_catch_ups", 1, 10'000,
             options.max_catch_ups)}) {
    if (!status.ok()) return status;
  }
  options.heartbeat = absl::GetFlag(FLAGS_realtime_heartbeat);
  if (options.heartbeat <= absl::ZeroDuration()) {
    return InvalidFlag("realtime_heartbeat",
                       absl::FormatDuration(options.heartbeat),
                       "must be positive");
  }
  return options;
}

absl::StatusOr<size_t> CacheEntriesFromFlags() {
  absl::StatusOr<int64_t> entries =
      FlagInRange(FLAGS_cache_entries, "cache_entries", 0, 100'000'000);
  if (!entries.ok()) return entries.status();
  return static_cast<size_t>(*entries);
}

}  // namespace chainsync::gateway
