#include "services/api-gateway/gateway_options.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/common/config/flags.h"

ABSL_FLAG(int32_t, http_port, 8080,
          "HTTP port of the public API and of /metrics, /healthz, /readyz "
          "(0 picks a free one).");
ABSL_FLAG(int32_t, http_threads, 2, "Threads serving HTTP connections.");
ABSL_FLAG(int64_t, max_body_bytes, 1 << 20,
          "Largest request body accepted; larger ones get 413.");

namespace chainsync::gateway {

absl::StatusOr<ServiceHostOptions> GatewayHostOptionsFromFlags() {
  absl::StatusOr<ServiceHostOptions> options =
      ServiceHostOptionsFromFlags("gateway");
  if (!options.ok()) return options;
  const int32_t port = absl::GetFlag(FLAGS_http_port);
  if (absl::Status status = ValidatePort("http_port", port); !status.ok()) {
    return status;
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
  options->http.port = port;
  options->http.threads = threads;
  options->http.max_body_bytes = static_cast<size_t>(max_body);
  return options;
}

}  // namespace chainsync::gateway
