#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (coverage and AddressSanitizer on
# every chainsync library) and runs each for FUZZ_SECONDS (default 60),
# starting from the seeds in tests/fuzz/seeds/<target>. A crash stops the run
# with the reproducer in build-fuzz/artifacts/.
#
#   tests/fuzz/run.sh                 # every target
#   tests/fuzz/run.sh rlp_decoder     # one target
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(abi_decoder rlp_decoder json_rpc_response bitcoin_address signed_message http_request)
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCHAINSYNC_FUZZ=ON \
  -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target "${targets[@]/%/_fuzz}"

mkdir -p build-fuzz/artifacts
for target in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$target"
  mkdir -p "$corpus"
  echo "fuzzing $target for ${seconds}s"
  "build-fuzz/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -rss_limit_mb=4096 \
    -artifact_prefix="build-fuzz/artifacts/${target}-" -print_final_stats=1 \
    "$corpus" "tests/fuzz/seeds/$target" 2>&1 | grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|==|SUMMARY|Done)' || true
  if ls build-fuzz/artifacts/"${target}"-* >/dev/null 2>&1; then
    echo "$target: crash found; reproducer in build-fuzz/artifacts/" >&2
    exit 1
  fi
done
echo "no crash in ${#targets[@]} targets"
