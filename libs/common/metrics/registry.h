#pragma once

// Metrics in the Prometheus text exposition format 0.0.4.
//
// prometheus-cpp is not packaged for Debian 12 (docs/adr/0001), so chainsync
// carries this small registry: counters, gauges and histograms with labels,
// lock-free on the update path once a labelled child has been looked up.
//
//   auto& batches = registry.AddCounter("chainsync_indexer_batches_total",
//                                       "Batches committed.", {"chain_id"});
//   Counter& mainnet = batches.WithLabels({"1"});  // keep the reference
//   mainnet.Increment();

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace chainsync::metrics {

// Counter is a monotonically increasing value.
class Counter {
 public:
  // Increment adds `amount`, which must not be negative.
  void Increment(double amount = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Gauge is a value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Increment(double amount = 1.0) {
    value_.fetch_add(amount, std::memory_order_relaxed);
  }
  void Decrement(double amount = 1.0) { Increment(-amount); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Histogram counts observations into buckets with inclusive upper bounds.
class Histogram {
 public:
  // `bounds` must be strictly increasing; +Inf is implied.
  explicit Histogram(const std::vector<double>& bounds);

  void Observe(double value);

  // Cumulative counts per bound, then the +Inf count.
  std::vector<uint64_t> CumulativeCounts() const;
  const std::vector<double>& bounds() const { return bounds_; }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one more for +Inf
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

// FamilyBase holds what every family has: a name, a help text, label names.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // AppendText writes the family in the text format.
  void AppendText(std::string* out) const;

 protected:
  using LabelValues = std::vector<std::string>;
  void CheckLabelCount(size_t count) const;
  virtual void AppendSamples(std::string* out) const = 0;
  // Writes `name{labels[,extra]} value`.
  void AppendSample(std::string* out, absl::string_view suffix,
                    const LabelValues& values, absl::string_view extra_label,
                    absl::string_view extra_value, double value) const;

  mutable std::mutex mu_;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// Family is every labelled child of one metric.
template <typename T>
class Family final : public FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<T>()>;
  Family(std::string name, std::string help, MetricType type,
         std::vector<std::string> label_names, Factory factory)
      : FamilyBase(std::move(name), std::move(help), type,
                   std::move(label_names)),
        factory_(std::move(factory)) {}

  // WithLabels returns the child for these label values, in the order of the
  // family's label names, creating it on first use. The reference stays valid
  // for the registry's lifetime. A wrong number of values is a programming
  // error and aborts.
  T& WithLabels(std::initializer_list<absl::string_view> values) {
    return WithLabels(LabelValues(values.begin(), values.end()));
  }
  T& WithLabels(const std::vector<std::string>& values) {
    CheckLabelCount(values.size());
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<T>& child = children_[values];
    if (child == nullptr) child = factory_();
    return *child;
  }

 private:
  void AppendSamples(std::string* out) const override;

  Factory factory_;
  // Sorted by label values, so that scrapes list children in a stable order.
  std::map<LabelValues, std::unique_ptr<T>> children_;
};

// Registry owns metric families and renders them for a scrape.
class Registry {
 public:
  // A Collector appends whole families, computed at scrape time, to the text
  // output (process metrics read /proc this way).
  using Collector = std::function<void(std::string* out)>;

  // AddCounter, AddGauge and AddHistogram register a family, or return the
  // existing one when a family of that name, type and labels exists already
  // (so that independent components can share one). Invalid names, or a name
  // reused with another type or labels, abort: they are programming errors.
  Family<Counter>& AddCounter(absl::string_view name, absl::string_view help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(absl::string_view name, absl::string_view help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(absl::string_view name,
                                  absl::string_view help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds);

  void AddCollector(Collector collector);

  // Serialize renders every family in the text format 0.0.4.
  std::string Serialize() const;

 private:
  FamilyBase* Find(absl::string_view name, MetricType type,
                   const std::vector<std::string>& label_names);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::vector<Collector> collectors_;
};

// DefaultRegistry is the registry a binary's /metrics serves.
Registry& DefaultRegistry();

// LatencyBuckets are upper bounds in seconds from 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

// ExponentialBuckets returns `count` bounds start, start*factor, ...
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// FormatValue renders a sample value the way Prometheus parses it: the
// shortest round-trip decimal, or +Inf, -Inf, NaN.
std::string FormatValue(double value);

// AppendHeader writes the # HELP and # TYPE lines of a family.
void AppendHeader(std::string* out, absl::string_view name,
                  absl::string_view help, MetricType type);

}  // namespace chainsync::metrics

namespace chainsync::metrics {
// Defined in registry.cc for the three metric types.
extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;
}  // namespace chainsync::metrics
