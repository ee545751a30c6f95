#include "tests/support/promtool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace chainsync::testing {

PromtoolResult CheckMetrics(const std::string& text) {
  char path[] = "/tmp/chainsync_metrics_XXXXXX";
  const int fd = mkstemp(path);
  PromtoolResult result;
  if (fd < 0) return result;
  close(fd);
  std::ofstream(path) << text;
  const std::string command =
      std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe != nullptr) {
    char buffer[4096];
    size_t count;
    while ((count = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
      result.output.append(buffer, count);
    }
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  unlink(path);
  return result;
}

}  // namespace chainsync::testing
