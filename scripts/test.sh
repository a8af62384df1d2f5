#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: the normal build (all tests, slow ones
# included), then the same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/install-deps.sh

jobs=$(nproc)
echo "== build (RelWithDebInfo)"
# Options are explicit: the demo may have configured the same tree without tests.
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECRYPT_TESTS=ON -DRECRYPT_BENCH=ON
echo "== tests"
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 900

echo "== build (ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DRECRYPT_SANITIZE=ON -DRECRYPT_TESTS=ON -DRECRYPT_BENCH=OFF
echo "== tests under ASan + UBSan (the 1 GiB streaming test runs in the normal build only)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -j"$jobs" --output-on-failure --timeout 900 -LE slow
