#!/usr/bin/env bash
# Token hotplug as the udev rule leaves it to the agent: the agent starts with a PKCS#11
# token (SoftHSM2) that does not exist yet, sees it once it is created, fails cleanly while
# it is unplugged (its folder moved away), and works again once it is back.
set -euo pipefail
here=$(cd "$(dirname "$0")/../cli" && pwd)
source "$here/lib.sh"
cd "$WORK"
command -v softhsm2-util >/dev/null || { echo "SKIP: softhsm2 is not installed"; exit 77; }

status_of() {  # the agent's pkcs11 backend presence: true/false
  ok alice --json agent status
  printf '%s' "$OUT" | python3 -c 'import json,sys; print(str(next(b["present"] for b in json.load(sys.stdin)["backends"] if b["name"]=="pkcs11")).lower())'
}

step "an agent for a token that is not there yet"
start_service
dir="$WORK/alice/softhsm"
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir/tokens" >"$dir/softhsm2.conf"
BACKEND_alice=pkcs11 start_agent alice
[ "$(status_of)" = false ] || die "the token should be absent"
refused 8 alice personal alice@example.com --service "$SERVICE_URL"
say "profile creation without the token: exit 8 ($ERR)"

step "the token arrives (softhsm2-util, as a udev add would): the agent uses it"
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label alice \
  --so-pin so-alice --pin "passphrase of alice" >/dev/null
[ "$(status_of)" = true ] || die "the agent does not see the new token"
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create team@example.com
printf 'on a token\n' >doc.txt
ok alice encrypt -r team@example.com doc.txt
ok alice decrypt doc.txt.jcd -o out1.txt
same_file doc.txt out1.txt
say "keys on the new token: encrypt and decrypt work"

step "the token is removed: clean errors, the agent stays up"
mv "$dir/tokens" "$dir/tokens.away"
mkdir "$dir/tokens"
[ "$(status_of)" = false ] || die "the agent still sees the removed token"
refused 8 alice decrypt doc.txt.jcd -o out2.txt
[ ! -e out2.txt ] || die "a failed decryption left output behind"
say "decrypt without the token: exit 8 ($ERR)"
kill -0 "$AGENT_PID_alice" || die "the agent died"

step "the token is back: it works again"
rmdir "$dir/tokens"
mv "$dir/tokens.away" "$dir/tokens"
[ "$(status_of)" = true ] || die "the agent does not see the returned token"
ok alice decrypt doc.txt.jcd -o out3.txt
same_file doc.txt out3.txt
say "done"
