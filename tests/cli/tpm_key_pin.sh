#!/usr/bin/env bash
# TPM device keys with a PIN (recrypt-agent --tpm-key-pin): the keys made by `personal` carry
# the PIN, `device list` says so, decryption works with the PIN and is refused, naming the key,
# with a wrong one. (Keys made before the option, which keep working without a PIN, are
# checked in tests/tpm/tpm_key_pin_test.cpp.)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

start_service
export BACKEND_alice=tpm
start_agent alice --tpm-key-pin
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice device list
grep -q "  tpm  auth: pin" <<<"$OUT" || die "the key with a PIN is not auth: pin: $OUT"
first_round_trip alice g@example.com

# The same agent with a wrong PIN: the PIN-protected key refuses, and says which key.
stop_agent alice
printf 'not the PIN\n' >"$WORK/alice/passphrase"
start_agent alice --tpm-key-pin
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
[ ! -e wrong.txt ] || die "a wrong PIN left a file"
grep -q "wrong PIN for TPM key '" <<<"$ERR" && grep -q "(2 tries left)" <<<"$ERR" ||
  die "no wrong-PIN refusal naming the key in: $ERR"
! grep -q "not the PIN" <<<"$ERR" || die "the PIN appears in the message: $ERR"
# Asked again, the agent does not give the TPM the same wrong PIN from the file: that would
# spend another try of the lockout.
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
grep -q "the last PIN given for TPM key '.*' (.*) was wrong (the passphrase given to the agent non-interactively)" <<<"$ERR" ||
  die "second refusal did not come from the agent: $ERR"
! grep -q "tries left" <<<"$ERR" || die "the TPM was asked again: $ERR"
echo "tpm_key_pin: ok"
