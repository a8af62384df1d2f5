#!/usr/bin/env bash
# Builds the Debian packages (recrypt, recryptd, librecrypt-protocol-dev) from this tree and
# runs lintian on them. Slow (a full optimized compile): not part of the default test run.
# dpkg-buildpackage writes next to the source tree; the results are moved into
# OUT (default: build-debs/ in the tree).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$here/build-debs}
cd "$here"
jobs=${JOBS:-2}
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck parallel=$jobs}"
dpkg-checkbuilddeps
dpkg-buildpackage -us -uc -b
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes="recrypt_${version}_${arch}.changes"
mkdir -p "$out"
# Everything the .changes file lists, and the .changes itself.
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]\{32\} [0-9]* [^ ]* [^ ]* //p' "../$changes") "$changes"; do
  mv -f "../$f" "$out/"
done
if command -v lintian >/dev/null; then
  lintian --info --display-info "$out/$changes" || true
fi
echo "built: $out/$changes"
ls -l "$out"
