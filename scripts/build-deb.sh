#!/usr/bin/env bash
# Builds the Debian packages (recrypt, recryptd, librecrypt-protocol-dev) from this tree and
# runs lintian on them. Slow (a full optimized compile): not part of the default test run.
# Output: ../recrypt_*.deb etc. next to the source tree, or in OUT=<dir> when given.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=${JOBS:-2}
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck parallel=$jobs}"
dpkg-checkbuilddeps
dpkg-buildpackage -us -uc -b
cd ..
changes=$(ls -t recrypt_*_"$(dpkg --print-architecture)".changes | head -1)
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  dcmd cp "$changes" "$OUT"/ 2>/dev/null || cp recrypt_*.deb recryptd_*.deb librecrypt-protocol-dev_*.deb "$changes" "$OUT"/
fi
if command -v lintian >/dev/null; then
  lintian --info --display-info "$changes" || true
fi
echo "built: $changes"
