#include "libs/common/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/logging/log.h"

namespace chainsync::metrics {
namespace {

bool IsValidName(absl::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

[[noreturn]] void Misconfigured(absl::string_view what) {
  log::Error("metrics misconfigured", {{"error", what}});
  std::abort();
}

void AppendEscaped(std::string* out, absl::string_view text, bool label) {
  for (const char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && label) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

absl::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void Counter::Increment(double amount) {
  if (amount < 0) return;  // Counters only go up; a negative add is a no-op.
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  const size_t index =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    counts[i] = total;
  }
  return counts;
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

void FamilyBase::CheckLabelCount(size_t count) const {
  if (count != label_names_.size()) {
    Misconfigured(absl::StrCat(name_, " takes ", label_names_.size(),
                               " label values, got ", count));
  }
}

void FamilyBase::AppendText(std::string* out) const {
  AppendHeader(out, name_, help_, type_);
  AppendSamples(out);
}

void FamilyBase::AppendSample(std::string* out, absl::string_view suffix,
                              const LabelValues& values,
                              absl::string_view extra_label,
                              absl::string_view extra_value,
                              double value) const {
  out->append(name_);
  absl::StrAppend(out, suffix);
  if (!values.empty() || !extra_label.empty()) {
    out->push_back('{');
    bool first = true;
    const auto append_label = [&](absl::string_view label,
                                  absl::string_view label_value) {
      if (!first) out->push_back(',');
      first = false;
      absl::StrAppend(out, label);
      out->append("=\"");
      AppendEscaped(out, label_value, /*label=*/true);
      out->push_back('"');
    };
    for (size_t i = 0; i < values.size(); ++i) {
      append_label(label_names_[i], values[i]);
    }
    if (!extra_label.empty()) append_label(extra_label, extra_value);
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(FormatValue(value));
  out->push_back('\n');
}

template <typename T>
void Family<T>::AppendSamples(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      const std::vector<uint64_t> counts = child->CumulativeCounts();
      const std::vector<double>& bounds = child->bounds();
      for (size_t i = 0; i < bounds.size(); ++i) {
        AppendSample(out, "_bucket", values, "le", FormatValue(bounds[i]),
                     static_cast<double>(counts[i]));
      }
      AppendSample(out, "_bucket", values, "le", "+Inf",
                   static_cast<double>(counts.back()));
      AppendSample(out, "_sum", values, "", "", child->Sum());
      // The +Inf bucket, not Count(), so that a scrape racing an Observe
      // still shows _count equal to the +Inf bucket.
      AppendSample(out, "_count", values, "", "",
                   static_cast<double>(counts.back()));
    } else {
      AppendSample(out, "", values, "", "", child->Value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

FamilyBase* Registry::Find(absl::string_view name, MetricType type,
                           const std::vector<std::string>& label_names) {
  if (!IsValidName(name, /*allow_colon=*/true)) {
    Misconfigured(absl::StrCat("invalid metric name \"", name, "\""));
  }
  for (const std::string& label : label_names) {
    if (!IsValidName(label, /*allow_colon=*/false) ||
        label.rfind("__", 0) == 0 ||
        (type == MetricType::kHistogram && label == "le")) {
      Misconfigured(
          absl::StrCat("invalid label name \"", label, "\" on ", name));
    }
  }
  for (const auto& family : families_) {
    if (family->name() != name) continue;
    if (family->type() != type || family->label_names() != label_names) {
      Misconfigured(absl::StrCat("metric ", name,
                                 " registered twice with different types or "
                                 "labels"));
    }
    return family.get();
  }
  return nullptr;
}

Family<Counter>& Registry::AddCounter(absl::string_view name,
                                      absl::string_view help,
                                      std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FamilyBase* found = Find(name, MetricType::kCounter, label_names)) {
    return static_cast<Family<Counter>&>(*found);
  }
  auto family = std::make_unique<Family<Counter>>(
      std::string(name), std::string(help), MetricType::kCounter,
      std::move(label_names), [] { return std::make_unique<Counter>(); });
  auto& result = *family;
  families_.push_back(std::move(family));
  return result;
}

Family<Gauge>& Registry::AddGauge(absl::string_view name,
                                  absl::string_view help,
                                  std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  if (FamilyBase* found = Find(name, MetricType::kGauge, label_names)) {
    return static_cast<Family<Gauge>&>(*found);
  }
  auto family = std::make_unique<Family<Gauge>>(
      std::string(name), std::string(help), MetricType::kGauge,
      std::move(label_names), [] { return std::make_unique<Gauge>(); });
  auto& result = *family;
  families_.push_back(std::move(family));
  return result;
}

Family<Histogram>& Registry::AddHistogram(absl::string_view name,
                                          absl::string_view help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end()) {
    Misconfigured(absl::StrCat("histogram ", name,
                               " needs strictly increasing bucket bounds"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (FamilyBase* found = Find(name, MetricType::kHistogram, label_names)) {
    return static_cast<Family<Histogram>&>(*found);
  }
  auto family = std::make_unique<Family<Histogram>>(
      std::string(name), std::string(help), MetricType::kHistogram,
      std::move(label_names),
      [bounds] { return std::make_unique<Histogram>(bounds); });
  auto& result = *family;
  families_.push_back(std::move(family));
  return result;
}

void Registry::AddCollector(Collector collector) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Serialize() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& family : families_) family->AppendText(&out);
  for (const auto& collector : collectors_) collector(&out);
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void AppendHeader(std::string* out, absl::string_view name,
                  absl::string_view help, MetricType type) {
  out->append("# HELP ");
  absl::StrAppend(out, name);
  out->push_back(' ');
  AppendEscaped(out, help, /*label=*/false);
  out->append("\n# TYPE ");
  absl::StrAppend(out, name);
  out->push_back(' ');
  absl::StrAppend(out, TypeName(type));
  out->push_back('\n');
}

}  // namespace chainsync::metrics
