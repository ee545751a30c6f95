#pragma once

#include "absl/status/statusor.h"
#include "libs/common/server/service_host.h"
#include "services/api-gateway/realtime_hub.h"

namespace chainsync::gateway {

// GatewayHostOptionsFromFlags reads the gateway's HTTP flags (--http_port,
// --http_threads, --max_body_bytes) on top of the shared ones. The gateway
// serves its public API and /metrics, /healthz, /readyz on one port.
absl::StatusOr<ServiceHostOptions> GatewayHostOptionsFromFlags();

// RealtimeOptionsFromFlags reads the --realtime_* flags; INVALID_ARGUMENT
// naming the first out of its range.
absl::StatusOr<RealtimeOptions> RealtimeOptionsFromFlags();

// CacheEntriesFromFlags reads --cache_entries: the answers of cacheable
// routes kept at once (0 keeps none).
absl::StatusOr<size_t> CacheEntriesFromFlags();

}  // namespace chainsync::gateway
