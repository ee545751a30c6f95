#pragma once

#include "libs/common/logging/log.h"

namespace chainsync::log {

// RouteGrpcLogs sends gRPC's own log lines to chainsync's JSON log, at
// `level` and above (gRPC says little below errors unless debugging).
void RouteGrpcLogs(Level level);

}  // namespace chainsync::log
