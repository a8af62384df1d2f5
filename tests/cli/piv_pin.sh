#!/usr/bin/env bash
# Bob's keys on a PIV card (the test module piv_pkcs11 with ykcs11's rules, or PIV_FLAVOUR=
# opensc): a PIN of the wrong length is refused without a try spent and the message says what
# length the card takes; a wrong PIN is refused and not given to the card again by the agent;
# the right PIN then works. (A blocked card is tests/pkcs11's: the module's counter lives in
# the agent's process, and the PIV module tests and PinCounterTest.* block it there.)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
[ -f "$PIV_MODULE" ] || die "no $PIV_MODULE (built with the pkcs11 tests)"

# bob_with_pin PIN: Bob's agent again, its passphrase file (the card's PIN) replaced.
bob_with_pin() {
  stop_agent bob
  printf '%s\n' "$1" >"$WORK/bob/passphrase"
  start_agent bob
}

start_service
export BACKEND_bob=piv
alice_shares_with bob g@example.com
ok bob decrypt doc.txt.jcd -o bob.txt
same_file doc.txt bob.txt

step "a PIN of the wrong length"
bob_with_pin "passphrase of bob"
refused 6 bob decrypt doc.txt.jcd -o wrong.txt
say "$ERR"
grep -q "refused the PIN for its length, without checking it" <<<"$ERR" || die "length refusal: $ERR"
[ ! -e wrong.txt ] || die "a refused PIN left a file"

step "a wrong PIN, twice: the agent does not give the card the same wrong PIN again"
bob_with_pin 999999
refused 6 bob decrypt doc.txt.jcd -o wrong.txt
say "$ERR"
grep -q "wrong PIN" <<<"$ERR" || die "first wrong PIN: $ERR"
refused 6 bob decrypt doc.txt.jcd -o wrong.txt
grep -q "given to the agent non-interactively" <<<"$ERR" || die "the agent gave the card the same PIN again: $ERR"
! grep -q "now blocked\|one try left" <<<"$ERR" || die "the agent spent a second try: $ERR"

step "the right PIN opens the card again"
bob_with_pin 246813
ok bob decrypt doc.txt.jcd -o bob-again.txt
same_file doc.txt bob-again.txt
echo "piv_pin: ok"
