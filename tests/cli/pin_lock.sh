#!/usr/bin/env bash
# A token whose PIN has a card's retry counter (tests/pkcs11/pin_counter_module.cpp: SoftHSM2
# with two tries, so that one wrong PIN leaves the last one): a wrong passphrase reaches the
# user as a refusal (exit 6) that says one try is left, and the agent does not try the same
# wrong passphrase on the card again, which would block it.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
module="$BUILD/tests/pkcs11/libpin_counter_pkcs11.so"
[ -f "$module" ] || die "no $module (built with the pkcs11 tests)"
export RECRYPT_PIN_COUNTER_TARGET=/usr/lib/softhsm/libsofthsm2.so RECRYPT_PIN_COUNTER_TRIES=2

start_service
export BACKEND_alice=pkcs11 PKCS11_MODULE="$module"
start_agent alice
ok alice personal alice@example.com --service "$SERVICE_URL"
first_round_trip alice g@example.com

# The agent again, with a wrong passphrase (= PIN).
stop_agent alice
printf 'not the PIN\n' >"$WORK/alice/wrong"
SOFTHSM2_CONF="$WORK/alice/softhsm/softhsm2.conf" "$AGENT" --home "$WORK/alice/home" \
  --socket "$WORK/alice/run/agent.sock" --passphrase-file "$WORK/alice/wrong" \
  --backend pkcs11 --pkcs11-module "$module" --pkcs11-token pkcs11:token=alice \
  >"$WORK/alice/agent.out" 2>>"$WORK/alice/agent.log" &
PIDS+=($!)
wait_for_line "$WORK/alice/agent.out" "listening on" >/dev/null
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
[ ! -e wrong.txt ] || die "a wrong PIN left a file"
grep -q "wrong PIN" <<<"$ERR" && grep -q "one try left" <<<"$ERR" || die "no tries left in: $ERR"
# Asked again, the agent refuses without a second login: the card still has its last try.
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
grep -q "one try left" <<<"$ERR" || die "second refusal: $ERR"
! grep -q "now blocked" <<<"$ERR" || die "the agent tried the wrong PIN again: $ERR"
echo "pin_lock: ok"
