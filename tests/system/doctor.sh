#!/usr/bin/env bash
# recrypt doctor: with no agent it fails and says how to start one; with an agent, a profile
# and a running service every check that matters is ok; a socket folder others may enter is
# a failure with the chmod that fixes it; a service that calls itself other than its address
# is a failure; a TPM device we may not use is explained.
set -euo pipefail
here=$(cd "$(dirname "$0")/../cli" && pwd)
source "$here/lib.sh"
cd "$WORK"

# p11-kit, for the pkcs11 check, knows SoftHSM2 only: the machine's other modules (tpm2-pkcs11
# without a TPM) would write to standard error.
softhsm=/usr/lib/softhsm/libsofthsm2.so
[ -f "$softhsm" ] && private_p11_kit softhsm2="$softhsm" || private_p11_kit

# doctor USER [args]: standard output in $OUT, status in $RC. Standard error is shown, not
# parsed.
doctor() {
  local user=$1; shift
  set +e
  OUT=$(with_private_p11_kit "$RECRYPT" --socket "$WORK/$user/run/agent.sock" doctor "$@" 2>"$WORK/doctor.err")
  RC=$?
  set -e
  printf '%s\n' "$OUT" | sed 's/^/   | /'
  if [ -s "$WORK/doctor.err" ]; then sed 's/^/   2| /' "$WORK/doctor.err"; fi
}
line() { grep -Eq "^$1 +$2 " <<<"$OUT" || die "expected a '$1 $2' line"; }

step "no agent: the agent check fails, with the fix"
mkdir -p -m 0700 "$WORK/alice/run"
doctor alice
[ "$RC" = 1 ] || die "doctor exited $RC with no agent"
line fail agent
grep -q 'fix: start it: systemctl --user enable --now recrypt-agent.socket' <<<"$OUT" || die "no fix for the agent"
line fail socket
line skip service

step "agent up, no profile yet"
start_service
start_agent alice
doctor alice
[ "$RC" = 0 ] || die "doctor exited $RC with a running agent"
line ok agent
line ok socket-dir
line ok socket
grep -q 'fix: create one: recrypt personal' <<<"$OUT" || die "no hint to create a profile"

if with_private_p11_kit p11-kit list-modules 2>/dev/null | grep "^softhsm2:" >/dev/null; then
  grep -Eq '^ok +pkcs11 +1 module\(s\): softhsm2;' <<<"$OUT" || die "the pkcs11 check should list softhsm2 alone"
  [ ! -s "$WORK/doctor.err" ] || die "doctor wrote to standard error with SoftHSM2 alone: $(cat "$WORK/doctor.err")"
fi

step "with a profile: the service answers Hello"
ok alice personal alice@example.com --service "$SERVICE_URL"
doctor alice
[ "$RC" = 0 ] || die "doctor exited $RC"
line ok service
# The service says its time in Hello: the clocks of this machine agree with themselves.
grep -Eq '^ok +clock +local clock is -?[01] s' <<<"$OUT" || die "clock check: $OUT"
doctor alice --json
python3 - "$OUT" <<'PYEOF'
import json, sys
d = json.loads(sys.argv[1])
assert d["ok"] is True, d
names = {c["check"]: c["status"] for c in d["checks"]}
for n in ("socket-dir", "socket", "agent", "tpm", "pkcs11", "service", "clock"):
    assert n in names, (n, names)
assert names["agent"] == "ok" and names["service"] == "ok", names
assert all(c["status"] in ("ok", "warn", "fail", "skip") for c in d["checks"])
PYEOF
say "JSON output parses and names every check"

step "a socket folder others may enter is a failure with its fix"
chmod 0755 "$WORK/alice/run"
doctor alice
[ "$RC" = 1 ] || die "doctor exited $RC with a 0755 socket folder"
line fail socket-dir
grep -q "fix: chmod 0700 $WORK/alice/run" <<<"$OUT" || die "no chmod fix"
chmod 0700 "$WORK/alice/run"

step "the service goes away: the service check fails"
stop_service
doctor alice
[ "$RC" = 1 ] || die "doctor exited $RC with the service down"
line fail service

step "the service comes back calling itself otherwise: the service check fails, naming both"
SERVICE_LISTEN="127.0.0.1:${SERVICE_URL##*:}" start_service --audience https://elsewhere.example
doctor alice
[ "$RC" = 1 ] || die "doctor exited $RC with a service that calls itself otherwise"
line fail service
grep -qF "calls itself https://elsewhere.example, expected $SERVICE_URL" <<<"$OUT" || die "the audience is not named"
stop_service

step "TPM: the check explains /dev/tpmrm0 (present or not) without failing a soft-only agent"
grep -Eq '^(ok|warn) +tpm ' <<<"$OUT" || die "tpm check should be ok or warn for a soft agent"
say "done"
