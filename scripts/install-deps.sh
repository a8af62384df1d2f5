#!/usr/bin/env bash
# Installs every system package recrypt needs to build, test and run its demo on Debian 12.
# Idempotent and quick when everything is present: apt runs only for what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libssl-dev openssl
  libtss2-dev swtpm swtpm-tools tpm2-tools
  softhsm2 opensc libp11-kit-dev p11-kit
  libtpm2-pkcs11-1 libtpm2-pkcs11-tools
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libcli11-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql-15 libjemalloc-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang libclang-rt-14-dev clang-format
  python3 socat gnupg procps util-linux dnsmasq-base age
  systemd udev groff-base bash-completion dpkg-dev debhelper fakeroot lintian
)
# Node.js comes with the machine on some images (with its own npm); install Debian's otherwise.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all system packages present"
fi

# The JOSE interop test uses node's `jose`, pinned by tests/interop/package-lock.json.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/tests/interop/package-lock.json" ] && [ ! -d "$here/tests/interop/node_modules/jose" ]; then
  echo "install-deps: npm ci in tests/interop"
  npm ci --prefix "$here/tests/interop" --no-audit --no-fund --loglevel=error
fi
