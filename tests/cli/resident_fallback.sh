#!/usr/bin/env bash
# A token that lists ECDH and AES-KEY-WRAP-PAD but refuses to derive an AES key
# (CKR_ARGUMENTS_BAD, as tpm2-pkcs11 1.9.1 and later do): the in-token import of a member
# share fails for a reason no mechanism list announces, and the agent falls back to the
# wrapped form of the share, so the member still decrypts.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
module="$BUILD/tests/pkcs11/libpin_counter_pkcs11.so"
[ -f "$module" ] || die "no $module (built with the pkcs11 tests)"
export RECRYPT_PIN_COUNTER_TARGET=/usr/lib/softhsm/libsofthsm2.so
export RECRYPT_PIN_COUNTER_REFUSE_AES_DERIVE=1

step "Bob's token refuses an AES key from ECDH; he still reads his group's document"
start_service
BACKEND_bob=pkcs11 PKCS11_MODULE="$module" start_agent bob
ok bob personal bob@example.com --service "$SERVICE_URL"
first_round_trip bob g@example.com
say "$OUT"
grep -q "wrapped share" <<<"$OUT" || die "the decrypt did not say it used the wrapped share: $OUT"

step "the refusal is the token's, not the agent's: without it the share is resident"
unset RECRYPT_PIN_COUNTER_REFUSE_AES_DERIVE
stop_agent bob
BACKEND_bob=pkcs11 PKCS11_MODULE="$module" start_agent bob
ok bob decrypt doc.txt.jcd -o again.txt --force
same_file doc.txt again.txt
grep -q "resident share" <<<"$OUT" || die "with AES derivation allowed the share should be resident: $OUT"
echo "resident_fallback: ok"
