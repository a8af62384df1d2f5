#!/usr/bin/env bash
# systemd-analyze verify on the configured units (from the build tree, argument 1). The
# binaries they start need not be installed: ExecStart paths are pointed at /bin/true.
set -euo pipefail
units=${1:?usage: units.sh BUILD/system}
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (apt install systemd)"; exit 77
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -m 0700 "$work/run"
export XDG_RUNTIME_DIR="$work/run"
for u in recrypt-agent.socket recrypt-agent.service recryptd.service recryptd-postgresql.service; do
  sed -E 's#^(ExecStart=)[^ ]+#\1/bin/true#' "$units/$u" >"$work/$u"
done
fail=0
check() {  # check --user|--system UNIT
  local out
  if ! out=$(systemd-analyze "$1" verify --man=no "$work/$2" 2>&1) || [ -n "$out" ]; then
    echo "FAIL: systemd-analyze $1 verify $2:"; echo "$out"; fail=1
  else
    echo "ok: systemd-analyze $1 verify $2"
  fi
}
check --user recrypt-agent.socket
check --user recrypt-agent.service
check --system recryptd.service
check --system recryptd-postgresql.service
# The socket, state folder and hardening docs/SYSTEM.md describes, spelled out.
grep -qx 'ListenStream=%t/recrypt/agent.sock' "$work/recrypt-agent.socket" || { echo "FAIL: socket path"; fail=1; }
grep -qx 'SocketMode=0600' "$work/recrypt-agent.socket" || { echo "FAIL: SocketMode"; fail=1; }
grep -qx 'DirectoryMode=0700' "$work/recrypt-agent.socket" || { echo "FAIL: DirectoryMode"; fail=1; }
grep -qx 'StateDirectory=recryptd' "$work/recryptd.service" || { echo "FAIL: StateDirectory"; fail=1; }
grep -qx 'DynamicUser=yes' "$work/recryptd.service" || { echo "FAIL: DynamicUser"; fail=1; }
grep -qx 'DynamicUser=yes' "$work/recryptd-postgresql.service" || { echo "FAIL: DynamicUser (PostgreSQL)"; fail=1; }
# The service key reaches the PostgreSQL unit as a credential, never from a world-readable path.
grep -qx 'LoadCredential=service.key:/etc/recrypt/service.key' "$work/recryptd-postgresql.service" || { echo "FAIL: service key credential"; fail=1; }
for u in recrypt-agent.service recryptd.service recryptd-postgresql.service; do
  grep -qx 'NoNewPrivileges=yes' "$work/$u" && grep -qx 'ProtectSystem=strict' "$work/$u" || { echo "FAIL: $u hardening"; fail=1; }
done
# The agent must keep the TPM and tokens: no PrivateDevices or DevicePolicy in its unit.
! grep -Eq '^(PrivateDevices|DevicePolicy)=' "$work/recrypt-agent.service" || { echo "FAIL: agent unit hides devices"; fail=1; }
# Exposure scores (systemd-analyze security, offline): lower is better; fail on regressions.
score() {  # score --user|--system UNIT -> the number
  systemd-analyze security --offline=true "$1" "$work/$2" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
if systemd-analyze security --help 2>/dev/null | grep -- --offline >/dev/null; then
  agent_score=$(score --user recrypt-agent.service)
  service_score=$(score --system recryptd.service)
  pg_score=$(score --system recryptd-postgresql.service)
  echo "exposure: recrypt-agent.service $agent_score, recryptd.service $service_score," \
    "recryptd-postgresql.service $pg_score (10 = unprotected)"
  awk -v a="$agent_score" -v s="$service_score" -v p="$pg_score" \
    'BEGIN { exit !(a != "" && s != "" && p != "" && a <= 3.0 && s <= 2.0 && p <= 2.0) }' ||
    { echo "FAIL: exposure above 3.0 (agent) or 2.0 (recryptd)"; fail=1; }
fi
exit $fail
