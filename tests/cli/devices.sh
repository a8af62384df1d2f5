#!/usr/bin/env bash
# Bob with two devices; Bob loses one, removes it from his profile, Alice re-splits him: the
# remaining device reads, the lost one (a copy of its agent's home) is refused.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

start_service
start_agent alice
# Bob's laptop keeps its keys in the agent's soft store; his phone is a hardware token
# (SoftHSM2 here), which a copy of the laptop's disk does not carry. PHONE=piv makes it a PIV
# card (a YubiKey through ykcs11, or PIV_FLAVOUR=opensc), whose slot keys are adopted.
if [ "${PHONE:-softhsm}" = piv ]; then
  piv_token bob
  export RECRYPT_PIV_FLAVOUR="$PIV_FLAVOUR"
  phone=(--pkcs11-module "$PIV_MODULE" --pkcs11-token "$(piv_token_uri)")
  phone_keys=(--encryption-key 9d --signing-key 9a)
else
  softhsm_token bob bob-phone
  phone=(--pkcs11-module /usr/lib/softhsm/libsofthsm2.so --pkcs11-token pkcs11:token=bob-phone)
  phone_keys=()
fi
start_agent bob "${phone[@]}"
ok alice personal alice@example.com --service "$SERVICE_URL"
ok bob personal bob@example.com --service "$SERVICE_URL" --device laptop
ok bob device add phone --backend pkcs11 "${phone_keys[@]}"
ok bob device list
grep -q laptop <<<"$OUT" && grep -q phone <<<"$OUT" || die "device list: $OUT"

ok alice group create team@example.com
ok alice group add team@example.com bob@example.com --fingerprint "$(fingerprint bob)"
printf 'for the team\n' >doc.txt
ok alice encrypt -r team@example.com doc.txt
ok bob decrypt doc.txt.jcd -o bob.txt
same_file doc.txt bob.txt

# The laptop is stolen with its agent's home: keep a copy to play the thief.
stop_agent bob
cp -a "$WORK/bob" "$WORK/thief"
rm -rf "$WORK/thief/run" "$WORK/thief/softhsm"
start_agent bob "${phone[@]}"
ok bob device remove laptop
ok alice group resplit team@example.com bob@example.com

ok bob decrypt doc.txt.jcd -o bob-after.txt
same_file doc.txt bob-after.txt

start_agent thief
refused 4 thief decrypt doc.txt.jcd -o thief.txt
[ ! -e thief.txt ] || die "the lost device's refused decryption left a file"
grep -qi "service" <<<"$ERR" || die "the refusal should say the service refused: $ERR"
echo "devices: ok"
