#!/usr/bin/env bash
# Checks the udev rules: every line parses (udev_rules.py), and when possible udevadm itself
# loads them (udevadm test, with the file in a tmpfs over /etc/udev/rules.d in a private mount
# namespace, so the system is untouched).
set -euo pipefail
rules=${1:?usage: udev_rules.sh RULES}
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/udev_rules.py" "$rules"
# The AppStream metainfo announces the same hardware (every vendor, and product, of the rules).
metainfo="$(dirname "$rules")/org.example.recrypt.metainfo.xml"
if [ -f "$metainfo" ]; then
  python3 - "$rules" "$metainfo" <<'PYEOF'
import re, sys, xml.etree.ElementTree as ET
rules, meta = open(sys.argv[1]).read(), ET.parse(sys.argv[2]).getroot()
aliases = [m.text for m in meta.iter("modalias")]
bad = [a for a in aliases if re.match(r"usb:v[0-9a-fA-F]{4}", a) and a[5:9] != a[5:9].upper()]
missing = []
for line in rules.splitlines():
    v = re.search(r'ATTR\{idVendor\}=="([0-9a-f]{4})"', line)
    if not v: continue
    p = re.search(r'ATTR\{idProduct\}=="([^"]+)"', line)
    wants = [f"usb:v{v.group(1).upper()}p*"] if not p else [f"usb:v{v.group(1).upper()}p{x.upper()}d*" for x in p.group(1).split("|")]
    missing += [w for w in wants if w not in aliases]
if "0b????" in rules and not any("ic0B" in a for a in aliases): missing.append("CCID interface class")
if bad or missing:
    sys.exit(f"FAIL: metainfo lower-case hex {bad}, missing {missing}")
print(f"ok: metainfo announces all {len(aliases)} device patterns of the rules")
PYEOF
fi
if command -v udevadm >/dev/null && command -v unshare >/dev/null && [ "$(id -u)" = 0 ] &&
   [ -d /etc/udev/rules.d ] && unshare -m true 2>/dev/null && [ -e /sys/class/net/lo ]; then
  out=$(unshare -m bash -c '
    set -e
    mount -t tmpfs tmpfs /etc/udev/rules.d
    cp "$1" /etc/udev/rules.d/
    udevadm test --action=add /sys/class/net/lo 2>&1' _ "$rules") || true
  name=$(basename "$rules")
  if grep -F "$name" <<<"$out" | grep -Ei 'invalid|error|unknown|failed|ignoring' >/dev/null; then
    echo "FAIL: udevadm test complains about $name:"; echo "$out" | grep -F "$name"; exit 1
  fi
  if grep -Fq "$name" <<<"$out"; then
    echo "ok: udevadm test read $name without complaint"
  else
    echo "note: udevadm test did not mention $name (it reads rules only when it lists them); parser check only"
  fi
else
  echo "note: udevadm test not possible here (needs root, unshare and /sys); parser check only"
fi
