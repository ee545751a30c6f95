#pragma once

namespace chainsync::bench {

// Run is a benchmark's body: bench_main.cc parses the command line, then
// calls it. It prints its figures on stdout.
void Run();

}  // namespace chainsync::bench
