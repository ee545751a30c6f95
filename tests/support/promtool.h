#pragma once

#include <string>

namespace chainsync::testing {

// PromtoolResult is what `promtool check metrics` said about a scrape.
struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // lint problems, one per line; empty when clean
};

// CheckMetrics feeds a Prometheus text exposition to `promtool check
// metrics`, the linter Prometheus itself ships.
PromtoolResult CheckMetrics(const std::string& text);

}  // namespace chainsync::testing
