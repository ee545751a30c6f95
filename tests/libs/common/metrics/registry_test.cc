#include "libs/common/metrics/registry.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "libs/common/metrics/process_metrics.h"
#include "tests/support/promtool.h"

namespace chainsync::metrics {
namespace {

TEST_CASE("counters, gauges and histograms render in the text format",
          "[metrics]") {
  Registry registry;
  auto& requests = registry.AddCounter("chainsync_test_requests_total",
                                       "Requests handled.", {"method", "code"});
  requests.WithLabels({"GET", "200"}).Increment(3);
  requests.WithLabels({"POST", "500"}).Increment();
  registry.AddGauge("chainsync_test_head_block", "Head block.")
      .WithLabels({})
      .Set(19);
  auto& latency = registry.AddHistogram("chainsync_test_latency_seconds",
                                        "Latency.", {"route"}, {0.1, 1});
  Histogram& route = latency.WithLabels({"/x"});
  route.Observe(0.05);
  route.Observe(0.1);  // bounds are inclusive
  route.Observe(5);

  const std::string text = registry.Serialize();
  CHECK(text ==
        "# HELP chainsync_test_requests_total Requests handled.\n"
        "# TYPE chainsync_test_requests_total counter\n"
        "chainsync_test_requests_total{method=\"GET\",code=\"200\"} 3\n"
        "chainsync_test_requests_total{method=\"POST\",code=\"500\"} 1\n"
        "# HELP chainsync_test_head_block Head block.\n"
        "# TYPE chainsync_test_head_block gauge\n"
        "chainsync_test_head_block 19\n"
        "# HELP chainsync_test_latency_seconds Latency.\n"
        "# TYPE chainsync_test_latency_seconds histogram\n"
        "chainsync_test_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
        "chainsync_test_latency_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"
        "chainsync_test_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"
        "chainsync_test_latency_seconds_sum{route=\"/x\"} 5.15\n"
        "chainsync_test_latency_seconds_count{route=\"/x\"} 3\n");
  const auto lint = testing::CheckMetrics(text);
  CHECK(lint.exit_code == 0);
  CHECK(lint.output.empty());
}

TEST_CASE("label values and help texts are escaped", "[metrics]") {
  Registry registry;
  registry
      .AddCounter("chainsync_test_errors_total",
                  "Errors, with \\ and\nnewline.", {"error"})
      .WithLabels({"say \"no\"\\\n"})
      .Increment();
  const std::string text = registry.Serialize();
  CHECK(
      text.find(
          R"(# HELP chainsync_test_errors_total Errors, with \\ and\nnewline.)") !=
      std::string::npos);
  CHECK(text.find(R"(chainsync_test_errors_total{error="say \"no\"\\\n"} 1)") !=
        std::string::npos);
  CHECK(testing::CheckMetrics(text).exit_code == 0);
}

TEST_CASE("registering a family twice returns the same family", "[metrics]") {
  Registry registry;
  auto& first =
      registry.AddCounter("chainsync_test_shared_total", "Shared.", {"a"});
  auto& second =
      registry.AddCounter("chainsync_test_shared_total", "Shared.", {"a"});
  CHECK(&first == &second);
  CHECK(&first.WithLabels({"x"}) == &second.WithLabels({"x"}));
}

TEST_CASE("updates from many threads are all counted", "[metrics]") {
  Registry registry;
  Counter& counter =
      registry.AddCounter("chainsync_test_concurrent_total", "Concurrent.")
          .WithLabels({});
  Histogram& histogram = registry
                             .AddHistogram("chainsync_test_concurrent_seconds",
                                           "Concurrent.", {}, LatencyBuckets())
                             .WithLabels({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.Increment();
        histogram.Observe(0.001);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counter.Value() == 40000);
  CHECK(histogram.Count() == 40000);
  CHECK(histogram.CumulativeCounts().back() == 40000);
}

TEST_CASE("process metrics are present and pass promtool", "[metrics]") {
  Registry registry;
  AddProcessMetrics(registry);
  const std::string text = registry.Serialize();
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ", "process_start_time_seconds ",
        "process_open_fds ", "process_max_fds "}) {
    INFO(name);
    CHECK(text.find(std::string("\n") + name) != std::string::npos);
  }
  const auto lint = testing::CheckMetrics(text);
  INFO(lint.output);
  CHECK(lint.exit_code == 0);
}

TEST_CASE("sample values use Prometheus number syntax", "[metrics]") {
  CHECK(FormatValue(1) == "1");
  CHECK(FormatValue(0.25) == "0.25");
  CHECK(FormatValue(1e21) == "1e+21");
  CHECK(FormatValue(1.0 / 0.0) == "+Inf");
  CHECK(FormatValue(-1.0 / 0.0) == "-Inf");
  CHECK(FormatValue(0.0 / 0.0) == "NaN");
}

}  // namespace
}  // namespace chainsync::metrics
