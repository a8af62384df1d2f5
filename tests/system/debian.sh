#!/usr/bin/env bash
# Cheap consistency checks of debian/ (the package build itself is scripts/build-deb.sh):
# the changelog parses and matches the CMake project version, control parses with the
# packages the .install files are for, rules is executable, and every file the .install
# files name is installed by a CMake install() rule.
set -euo pipefail
src=${1:?usage: debian.sh SOURCE_DIR}
cd "$src"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if command -v dpkg-parsechangelog >/dev/null; then
  version=$(dpkg-parsechangelog -l debian/changelog -S Version)
  source=$(dpkg-parsechangelog -l debian/changelog -S Source)
  [ "$source" = recrypt ] || bad "changelog source is $source"
else
  version=$(sed -n '1s/^recrypt (\([^)]*\)).*/\1/p' debian/changelog)
fi
project=$(sed -n 's/^project(recrypt VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ "${version%%-*}" = "$project" ] || bad "debian/changelog has $version, CMakeLists.txt $project"
[ -x debian/rules ] || bad "debian/rules is not executable"
grep -qx '3.0 (native)' debian/source/format || bad "debian/source/format"

packages=$(python3 - <<'PYEOF'
import re, sys
text = open("debian/control", encoding="utf-8").read()
paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
def fields(p):
    out, key = {}, None
    for line in p.splitlines():
        if line.startswith((" ", "\t")):
            if key is None: sys.exit("continuation line without a field")
            out[key] += "\n" + line
        else:
            k, sep, v = line.partition(":")
            if not sep or not re.fullmatch(r"[A-Za-z0-9-]+", k): sys.exit(f"bad control line: {line!r}")
            key = k; out[k] = v.strip()
    return out
src = fields(paras[0])
for need in ("Source", "Maintainer", "Build-Depends", "Standards-Version"):
    if need not in src: sys.exit(f"source paragraph lacks {need}")
for p in paras[1:]:
    f = fields(p)
    for need in ("Package", "Architecture", "Description"):
        if need not in f: sys.exit(f"binary paragraph lacks {need}")
    print(f["Package"])
PYEOF
) || bad "debian/control does not parse"
for p in $packages; do
  [ -f "debian/$p.install" ] || bad "no debian/$p.install"
done
for f in debian/*.install; do
  p=$(basename "$f" .install)
  grep -qx "$p" <<<"$packages" || bad "$f is for no package in debian/control"
done

# Every path in the .install files must come from an install() rule: match them against the
# DESTINATIONs and file names in the CMake files (lib/... under /lib as debian/rules sets).
while read -r path; do
  [ -z "$path" ] && continue
  name=$(basename "$path")
  case "$name" in
    'librecrypt_*.a') grep -q 'install(TARGETS recrypt_protocol' protocol/CMakeLists.txt || bad "$path" ;;
    recrypt-protocol.pc) grep -q 'recrypt-protocol.pc DESTINATION' protocol/CMakeLists.txt || bad "$path" ;;
    recrypt) [ "$path" = usr/share/bash-completion/completions/recrypt ] && { grep -q 'RENAME recrypt' completions/CMakeLists.txt || bad "$path"; } ;;
  esac
  case "$path" in
    usr/bin/*|usr/sbin/*) grep -q "install(TARGETS $name RUNTIME" ./*/CMakeLists.txt || bad "$path: no install rule" ;;
    usr/share/man/*) [ -f "man/$name" ] && grep -q "$name" man/CMakeLists.txt || bad "$path: no man page rule" ;;
    lib/systemd/*|lib/udev/*)
      d=$(dirname "$path")
      grep -q -- "=/$d" debian/rules || bad "$path: debian/rules does not put it in /$d"
      { [ -f "system/$name" ] || [ -f "system/$name.in" ]; } || bad "$path: no such file in system/" ;;
  esac
done < <(cat debian/*.install)
[ $fail = 0 ] && echo "ok: debian/ is consistent (packages: $(echo $packages))"
exit $fail
