#!/usr/bin/env bash
# Checks the udev rules: every line parses (udev_rules.py), and when possible udevadm itself
# loads them (udevadm test, with the file in a tmpfs over /etc/udev/rules.d in a private mount
# namespace, so the system is untouched).
set -euo pipefail
rules=${1:?usage: udev_rules.sh RULES}
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/udev_rules.py" "$rules"
if command -v udevadm >/dev/null && command -v unshare >/dev/null && [ "$(id -u)" = 0 ] &&
   [ -d /etc/udev/rules.d ] && unshare -m true 2>/dev/null && [ -e /sys/class/net/lo ]; then
  out=$(unshare -m bash -c '
    set -e
    mount -t tmpfs tmpfs /etc/udev/rules.d
    cp "$1" /etc/udev/rules.d/
    udevadm test --action=add /sys/class/net/lo 2>&1' _ "$rules") || true
  name=$(basename "$rules")
  if echo "$out" | grep -F "$name" | grep -Eiq 'invalid|error|unknown|failed|ignoring'; then
    echo "FAIL: udevadm test complains about $name:"; echo "$out" | grep -F "$name"; exit 1
  fi
  if echo "$out" | grep -Fq "$name"; then
    echo "ok: udevadm test read $name without complaint"
  else
    echo "note: udevadm test did not mention $name (it reads rules only when it lists them); parser check only"
  fi
else
  echo "note: udevadm test not possible here (needs root, unshare and /sys); parser check only"
fi
