#pragma once

#include "libs/common/metrics/registry.h"

namespace chainsync::metrics {

// AddProcessMetrics registers a collector for the standard process families
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds), read from /proc at each scrape.
void AddProcessMetrics(Registry& registry);

}  // namespace chainsync::metrics
