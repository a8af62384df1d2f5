#!/usr/bin/env bash
# Installs the build tree into a DESTDIR (at its configured prefix), checks the layout, the pkg-config
# files (a program built against the installed headers and libraries; the C client example run
# against the installed agent), the man pages and the bash completion, then runs the
# end-to-end scenario with the installed binaries.
set -euo pipefail
: "${BUILD:?set BUILD to the build folder}" "${SRC:?set SRC to the source folder}"
dest=$(mktemp -d "${TMPDIR:-/tmp}/recrypt-destdir.XXXXXX")
trap 'rm -rf "$dest"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# The configured prefix: units and recrypt-protocol.pc name paths under it at configure time.
prefix=$(grep -m1 '^CMAKE_INSTALL_PREFIX:' "$BUILD/CMakeCache.txt" | cut -d= -f2)
p=${prefix#/}
DESTDIR="$dest" cmake --install "$BUILD" >"$dest.log" 2>&1 || { cat "$dest.log"; rm -f "$dest.log"; exit 1; }
rm -f "$dest.log"
find "$dest" -type f | sed "s#^$dest##" | sort | sed 's/^/   /'

pcfile=$(cd "$dest/$p" && find lib* -name recrypt-protocol.pc | head -1)
[ -n "$pcfile" ] || { echo "FAIL: recrypt-protocol.pc not installed"; exit 1; }
libdir=$(dirname "$(dirname "$pcfile")")  # lib, lib64 or lib/<triplet>
# Where the cache put units and rules: relative to the prefix, or absolute (debian/rules).
cached_dir() {
  local d
  d=$(grep -m1 "^$1:" "$BUILD/CMakeCache.txt" | cut -d= -f2)
  case "$d" in /*) echo "$dest$d" ;; *) echo "$dest/$p/$d" ;; esac
}
unitdir=$(cached_dir RECRYPT_SYSTEMD_USER_UNIT_DIR)
sysunitdir=$(cached_dir RECRYPT_SYSTEMD_SYSTEM_UNIT_DIR)
rulesdir=$(cached_dir RECRYPT_UDEV_RULES_DIR)
for f in "$p/bin/recrypt" "$p/bin/recrypt-agent" "$p/bin/age-plugin-recrypt" "$p/sbin/recryptd"; do
  [ -x "$dest/$f" ] || bad "$f missing or not executable"
done
for f in share/man/man1/recrypt.1 share/man/man1/recrypt-agent.1 share/man/man8/recryptd.8 \
         share/man/man5/recrypt-jcd.5 share/man/man1/age-plugin-recrypt.1 share/bash-completion/completions/recrypt \
         share/metainfo/org.example.recrypt.metainfo.xml \
         include/recrypt/protocol/jcd.hpp include/recrypt/protocol/service/messages.hpp \
         include/recrypt/base/atomic_file.hpp "$libdir/librecrypt_base.a" \
         "$libdir/librecrypt_protocol.a" "$libdir/pkgconfig/recrypt-protocol.pc"; do
  f="$p/$f"
  [ -f "$dest/$f" ] || bad "$f not installed"
done
[ -f "$rulesdir/70-recrypt-tokens.rules" ] || bad "udev rules not in $rulesdir"
[ -f "$sysunitdir/recryptd.service" ] || bad "recryptd.service not in $sysunitdir"
grep -q "^ExecStart=$prefix/sbin/recryptd " "$sysunitdir/recryptd.service" || bad "recryptd unit does not start $prefix/sbin/recryptd"
[ -f "$unitdir/recrypt-agent.socket" ] && [ -f "$unitdir/recrypt-agent.service" ] || bad "user units not in $unitdir"
grep -q "^ExecStart=$prefix/bin/recrypt-agent " "$unitdir/recrypt-agent.service" || bad "agent unit does not start $prefix/bin/recrypt-agent"

# The man pages format without warnings.
for m in "$dest/$p"/share/man/man*/*; do
  out=$(groff -man -ww -z -Tutf8 "$m" 2>&1) || bad "groff failed on $m"
  [ -z "$out" ] || bad "groff warns on $(basename "$m"): $out"
done

# The installed headers are the public ones (protocol/CMakeLists.txt) and base/ under them;
# each one compiles on its own with the installed flags, so none includes a header that was
# left out.
[ -f "$dest/$p/include/recrypt/base/bytes.hpp" ] || bad "base/bytes.hpp, which the public headers use, was not installed"
pc_early="$dest/$p/$libdir/pkgconfig"
hdr_flags=$(PKG_CONFIG_PATH="$pc_early" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags recrypt-protocol)
headers=0
while IFS= read -r h; do
  rel=${h#"$dest/$p/include/recrypt/"}
  echo "#include \"$rel\"" | c++ ${CONSUMER_CXXFLAGS:-} $hdr_flags -fsyntax-only -x c++ - 2>"$dest/hdr.log" ||
    { cat "$dest/hdr.log"; bad "installed header $rel does not compile on its own"; }
  headers=$((headers + 1))
done < <(find "$dest/$p/include/recrypt" -name '*.hpp' | sort)
[ "$headers" -ge 20 ] || bad "only $headers headers installed"
echo "ok: $headers installed headers, each compiles on its own"

# pkg-config: a program against the installed library computes the UDF test vector.
pc="$dest/$p/$libdir/pkgconfig"
PKG_CONFIG_PATH="$pc" pkg-config --validate recrypt-protocol || bad "recrypt-protocol.pc does not validate"
cflags=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags recrypt-protocol)
libs=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --libs recrypt-protocol)
cat >"$dest/udf.cpp" <<'CPP'
#include <iostream>
#include <string>
#include "protocol/udf.hpp"
int main() {
  std::string data = "UDF Data Value";
  recrypt::Bytes bytes(data.begin(), data.end());
  std::cout << recrypt::udf::fingerprint("text/plain", bytes) << "\n";
}
CPP
if c++ ${CONSUMER_CXXFLAGS:-} $cflags "$dest/udf.cpp" -o "$dest/udf" $libs 2>"$dest/cc.log"; then
  got=$("$dest/udf")
  [ "$got" = MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF ] || bad "program against the installed library printed $got"
  echo "ok: built against recrypt-protocol.pc, UDF test vector $got"
else
  cat "$dest/cc.log"; bad "cannot build against the installed recrypt-protocol"
fi

# recrypt-agent-client.pc: the C example, built with cc against the installed header and
# library alone, runs against the installed agent (tests/system/agent_client_example.sh).
for f in include/recrypt/recrypt-agent-client.h "$libdir/librecrypt_agent_client.a" \
         "$libdir/pkgconfig/recrypt-agent-client.pc"; do
  [ -f "$dest/$p/$f" ] || bad "$f not installed"
done
PKG_CONFIG_PATH="$pc" pkg-config --validate recrypt-agent-client || bad "recrypt-agent-client.pc does not validate"
client_flags=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs recrypt-agent-client)
# shellcheck disable=SC2086  # the flags are separate words
if cc -std=c99 -Wall -Wextra -Wpedantic -Werror ${CONSUMER_CXXFLAGS:-} "$SRC/examples/agent_client/decrypt.c" \
     -o "$dest/agent-client-example" $client_flags 2>"$dest/cc.log"; then
  echo "ok: examples/agent_client/decrypt.c built with cc against recrypt-agent-client.pc"
  # Position-independent, every archive of it: it links into a shared object (a plugin).
  # shellcheck disable=SC2086
  cc -shared -fPIC ${CONSUMER_CXXFLAGS:-} "$SRC/examples/agent_client/decrypt.c" \
    -o "$dest/agent-client-example.so" $client_flags 2>"$dest/cc.log" ||
    { cat "$dest/cc.log"; bad "recrypt-agent-client does not link into a shared object"; }
  RECRYPT="$dest/$p/bin/recrypt" AGENT="$dest/$p/bin/recrypt-agent" RECRYPTD="$dest/$p/sbin/recryptd" \
    EXAMPLE="$dest/agent-client-example" bash "$SRC/tests/system/agent_client_example.sh" ||
    bad "the C example against the installed agent"
else
  cat "$dest/cc.log"; bad "cannot build the C example against the installed recrypt-agent-client"
fi

# Bash completion: "recrypt gr<TAB>" offers group, "recrypt group re<TAB>" its verbs.
if [ -f /usr/share/bash-completion/bash_completion ]; then
  got=$(bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$1"
    COMP_WORDS=(recrypt gr); COMP_CWORD=1; COMP_LINE="recrypt gr"; COMP_POINT=${#COMP_LINE}
    _recrypt recrypt gr recrypt; echo "${COMPREPLY[*]}"
    COMP_WORDS=(recrypt group re); COMP_CWORD=2; COMP_LINE="recrypt group re"; COMP_POINT=${#COMP_LINE}
    _recrypt recrypt re group; echo "${COMPREPLY[*]}"' _ "$dest/$p/share/bash-completion/completions/recrypt")
  if [ "$got" = $'group\nrevoke reinstate resplit recover review' ]; then echo "ok: bash completion"
  else bad "bash completion offered: $got"; fi
else
  echo "note: bash-completion is not installed; completion not exercised"
  bash -n "$dest/$p/share/bash-completion/completions/recrypt" || bad "completion script does not parse"
fi
[ $fail = 0 ] || exit 1

echo "== the scenario with the installed binaries"
RECRYPT="$dest/$p/bin/recrypt" AGENT="$dest/$p/bin/recrypt-agent" RECRYPTD="$dest/$p/sbin/recryptd" \
  bash "$SRC/tests/cli/scenario.sh"
