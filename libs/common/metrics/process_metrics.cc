#include "libs/common/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace chainsync::metrics {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

double BootTimeSeconds() {
  std::istringstream stat(ReadFile("/proc/stat"));
  std::string line;
  while (std::getline(stat, line)) {
    double value;
    if (line.rfind("btime ", 0) == 0 &&
        absl::SimpleAtod(line.substr(6), &value)) {
      return value;
    }
  }
  return 0;
}

int CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor of the directory being read
}

void AppendGauge(std::string* out, absl::string_view name,
                 absl::string_view help, MetricType type, double value) {
  AppendHeader(out, name, help, type);
  absl::StrAppend(out, name);
  out->push_back(' ');
  out->append(FormatValue(value));
  out->push_back('\n');
}

void CollectProcessMetrics(std::string* out) {
  // /proc/self/stat: the command name (field 2) may hold spaces, so fields
  // are counted from the closing parenthesis.
  const std::string stat = ReadFile("/proc/self/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return;
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(paren + 2), ' ');
  // Indices relative to field 3 (state): utime 14, stime 15, starttime 22,
  // vsize 23, rss 24 in proc(5) numbering.
  const auto field = [&](int number) -> double {
    double value = 0;
    const size_t index = static_cast<size_t>(number - 3);
    if (index < fields.size()) (void)absl::SimpleAtod(fields[index], &value);
    return value;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  static const double boot_time = BootTimeSeconds();

  AppendGauge(out, "process_cpu_seconds_total",
              "Total user and system CPU time spent in seconds.",
              MetricType::kCounter, (field(14) + field(15)) / ticks);
  AppendGauge(out, "process_resident_memory_bytes",
              "Resident memory size in bytes.", MetricType::kGauge,
              field(24) * page_size);
  AppendGauge(out, "process_virtual_memory_bytes",
              "Virtual memory size in bytes.", MetricType::kGauge, field(23));
  AppendGauge(out, "process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.",
              MetricType::kGauge, boot_time + field(22) / ticks);
  AppendGauge(out, "process_open_fds", "Number of open file descriptors.",
              MetricType::kGauge, CountOpenFds());
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    AppendGauge(out, "process_max_fds",
                "Maximum number of open file descriptors.", MetricType::kGauge,
                static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace

void AddProcessMetrics(Registry& registry) {
  registry.AddCollector(CollectProcessMetrics);
}

}  // namespace chainsync::metrics
