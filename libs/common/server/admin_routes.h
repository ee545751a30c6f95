#pragma once

#include "libs/common/metrics/registry.h"
#include "libs/common/server/http_server.h"
#include "libs/common/server/readiness.h"

namespace chainsync {

// AddAdminRoutes serves, on `router`:
//   GET /metrics  the registry in the Prometheus text format 0.0.4;
//   GET /healthz  200 while the process runs (liveness);
//   GET /readyz   200 when ready, 503 with the reason otherwise.
// `registry` and `readiness` must outlive the server.
void AddAdminRoutes(HttpRouter& router, const metrics::Registry& registry,
                    const Readiness& readiness);

}  // namespace chainsync
