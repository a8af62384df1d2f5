#!/usr/bin/env bash
# Installs dependencies, checks every C++ file's layout against .clang-format, builds, and runs
# every test: the normal build (all tests, slow ones included), then the same tests under
# AddressSanitizer and UndefinedBehaviorSanitizer, then a clang build with warnings as errors
# whose libFuzzer targets replay their corpus and fuzz for FUZZ_SECONDS each (default 25; 0
# skips the fuzzing, not the build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/install-deps.sh

jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-25}
step_start=$SECONDS
step() {  # step TITLE: ends the previous step with its duration
  echo "   ($((SECONDS - step_start)) s)"
  step_start=$SECONDS
  echo "== $*"
}

echo "== layout (.clang-format)"
scripts/check-format.sh
step "build (RelWithDebInfo)"
# Options are explicit: the demo may have configured the same tree without tests.
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECRYPT_TESTS=ON -DRECRYPT_BENCH=ON
step "tests"
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 900

step "build (ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DRECRYPT_SANITIZE=ON -DRECRYPT_TESTS=ON -DRECRYPT_BENCH=OFF
step "tests under ASan + UBSan (the 1 GiB streaming test runs in the normal build only)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure --timeout 900 -LE slow

# Everything again with clang, warnings as errors, and the fuzz targets as libFuzzer
# executables. Tests and benchmarks are compiled, not run again (the two builds above ran
# them), so the rest is compiled the quickest way, -O0 without debug information; the fuzz
# targets set their own optimisation (fuzz/CMakeLists.txt).
step "build (clang, warnings as errors, libFuzzer targets)"
scripts/build.sh build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-O0 -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
  -DRECRYPT_WERROR=ON -DRECRYPT_FUZZ=ON -DRECRYPT_TESTS=ON -DRECRYPT_BENCH=ON
step "fuzz corpus under libFuzzer"
ctest --test-dir build-clang -j"$jobs" --output-on-failure --timeout 900 -L fuzz
if [ "$fuzz_seconds" != 0 ]; then
  step "fuzzing, ${fuzz_seconds} s a target"
  scripts/fuzz.sh build-clang "$fuzz_seconds"
fi
echo "   ($((SECONDS - step_start)) s)"
echo "== all passed ($SECONDS s)"
