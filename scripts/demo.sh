#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job: the whole recrypt flow on loopback.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scripts/install-deps.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECRYPT_TESTS=OFF -DRECRYPT_BENCH=OFF
exec scripts/scenario.sh build
