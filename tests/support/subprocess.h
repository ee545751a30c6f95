#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chainsync::testing {

// Subprocess runs a binary with its stdout and stderr captured as lines, for
// tests that check a whole process: its log lines, its ports, its exit
// status.
class Subprocess {
 public:
  // Start runs `argv` with the environment of the test plus `environment`.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& environment = {});
  ~Subprocess();  // kills the process if still running

  // ReadLine returns the next stderr line, or nullopt at end of output or
  // after `timeout`.
  std::optional<std::string> ReadLine(absl::Duration timeout);

  // WaitForLine reads lines until one contains `needle`; every line read is
  // kept in lines().
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         absl::Duration timeout);

  // Signal sends a signal.
  void Signal(int signal);

  // Wait returns the exit status, or -signal when killed by a signal;
  // DEADLINE_EXCEEDED if it does not end within `timeout`.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  const std::vector<std::string>& lines() const { return lines_; }
  pid_t pid() const { return pid_; }

 private:
  Subprocess(pid_t pid, int stderr_fd) : pid_(pid), stderr_fd_(stderr_fd) {}

  pid_t pid_;
  int stderr_fd_;
  bool exited_ = false;
  std::string pending_;
  std::vector<std::string> lines_;
};

// ServingPorts are the ports a chainsync binary names in its "serving" log
// line; 0 for a server it does not run.
struct ServingPorts {
  int grpc = 0;
  int http = 0;
  int admin = 0;
};

// WaitForServing reads a chainsync binary's lines until its "serving" line;
// nullopt when none comes within `timeout`.
std::optional<ServingPorts> WaitForServing(
    Subprocess& process, absl::Duration timeout = absl::Seconds(30));

}  // namespace chainsync::testing
