#pragma once

#include "absl/status/statusor.h"
#include "libs/common/server/service_host.h"
#include "services/api-gateway/realtime_hub.h"

namespace chainsync::gateway {

// GatewayHostOptionsFromFlags reads the gateway's HTTP flags (--http_port,
// --admin_port, --http_threads, --max_body_bytes, the connection caps) on
// top of the shared ones. /metrics, /healthz and /readyz have the admin
// port to themselves.
absl::StatusOr<ServiceHostOptions> GatewayHostOptionsFromFlags();

// RealtimeOptionsFromFlags reads the --realtime_* flags; INVALID_ARGUMENT
// naming the first out of its range.
absl::StatusOr<RealtimeOptions> RealtimeOptionsFromFlags();

// CacheEntriesFromFlags reads --cache_entries: the answers of cacheable
// routes kept at once (0 keeps none).
absl::StatusOr<size_t> CacheEntriesFromFlags();

}  // namespace chainsync::gateway
