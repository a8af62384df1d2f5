#!/usr/bin/env bash
# Token hotplug as the udev rule leaves it to the agent: the agent starts with a PKCS#11
# token (SoftHSM2) that does not exist yet, sees it once it is created, fails cleanly while
# it is unplugged (its files moved away), and works again once it is back.
set -euo pipefail
here=$(cd "$(dirname "$0")/../cli" && pwd)
source "$here/lib.sh"
cd "$WORK"
command -v softhsm2-util >/dev/null || { echo "SKIP: softhsm2 is not installed"; exit 77; }

status_of() {  # the agent's pkcs11 backend presence: true/false
  ok alice --json agent status
  printf '%s' "$OUT" | python3 -c 'import json,sys; print(str(next(b["present"] for b in json.load(sys.stdin)["backends"] if b["name"]=="pkcs11")).lower())'
}

# The backend rescans for a missing token at most once a second: poll for a few seconds.
wait_present() {  # wait_present true|false
  local i
  for i in $(seq 1 30); do
    [ "$(status_of)" = "$1" ] && return 0
    sleep 0.2
  done
  die "the agent's pkcs11 backend never became present=$1"
}

step "an agent for a token that is not there yet"
start_service
dir="$WORK/alice/softhsm"
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n' "$dir/tokens" >"$dir/softhsm2.conf"
BACKEND_alice=pkcs11 start_agent alice
wait_present false
refused 8 alice personal alice@example.com --service "$SERVICE_URL"
say "profile creation without the token: exit 8 ($ERR)"

step "the token arrives (softhsm2-util, as a udev add would): the agent uses it"
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label alice \
  --so-pin so-alice --pin "passphrase of alice" >/dev/null
wait_present true
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create team@example.com
printf 'on a token\n' >doc.txt
ok alice encrypt -r team@example.com doc.txt
ok alice decrypt doc.txt.jcd -o out1.txt
same_file doc.txt out1.txt
say "keys on the new token: encrypt and decrypt work"

step "the token is removed: clean errors, the agent stays up"
mkdir -p "$dir/unplugged"
mv "$dir/tokens/"* "$dir/unplugged/"
refused 8 alice decrypt doc.txt.jcd -o out2.txt
[ ! -e out2.txt ] || die "a failed decryption left output behind"
say "decrypt without the token: exit 8 ($ERR)"
# SoftHSM2 keeps the slot and the agent's session of a token whose files went away: the
# backend asks the token itself (C_GetTokenInfo), so agent.status says it is gone.
[ "$(status_of)" = false ] || die "agent.status says present=true for the removed token"
say "agent.status says present=false for the removed token"
kill -0 "$AGENT_PID_alice" || die "the agent died"

step "the token is back: the same agent works again, no restart"
mv "$dir/unplugged/"* "$dir/tokens/"
wait_present true
ok alice decrypt doc.txt.jcd -o out3.txt
same_file doc.txt out3.txt
say "done"
