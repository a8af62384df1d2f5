#!/usr/bin/env bash
# The main job: the whole recrypt flow on loopback (see tests/cli/scenario.sh).
# Usage: scripts/scenario.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$here/build}" && pwd) VERBOSE=${VERBOSE:-1} exec bash "$here/tests/cli/scenario.sh"
