// The main of every benchmark: flags, then the benchmark's Run.
#include "bench/bench_main.h"

#include "absl/flags/parse.h"

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  chainsync::bench::Run();
  return 0;
}
