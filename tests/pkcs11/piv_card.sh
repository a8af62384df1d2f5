#!/usr/bin/env bash
# A PIV "card" for the tests: a SoftHSM2 token with P-256 keys in PIV slots, as
# `yubico-piv-tool -a generate -s 9d -A ECCP256` would leave them on a YubiKey. Seen through
# the test module piv_pkcs11 (libpiv_pkcs11.so in the build tree), the token is that card.
#
#   tests/pkcs11/piv_card.sh DIR [LABEL [PIN [SO_PIN]]]
#
# makes DIR/softhsm2.conf and DIR/tokens with one token LABEL (default piv) whose user PIN is
# PIN (default 123456: a PIV PIN has 6 to 8 characters for ykcs11) and SO PIN SO_PIN (default
# 12345678), and generates in it:
#
#   slot 9d  CKA_ID 03  derive (ECDH)   "Private key for Key Management" / "KEY MAN key"
#   slot 9a  CKA_ID 01  sign            "Private key for PIV Authentication" / "PIV AUTH key"
#   slot 9c  CKA_ID 02  sign, PIN per signature   "Private key for Digital Signature" / "SIGN key"
#
# (the ids are the same under both numberings the module knows). The key labels on the token
# are the slot names; the module shows its own. Use it with
#
#   SOFTHSM2_CONF=DIR/softhsm2.conf RECRYPT_PIV_FLAVOUR=ykcs11|opensc \
#     pkcs11-tool --module build/tests/pkcs11/libpiv_pkcs11.so --list-objects
#
# Sourced, it defines piv_card (same arguments) and does nothing else.

piv_card() {
  local dir=$1 label=${2:-piv} pin=${3:-123456} so_pin=${4:-12345678}
  local softhsm=/usr/lib/softhsm/libsofthsm2.so
  mkdir -p "$dir/tokens"
  dir=$(cd "$dir" && pwd)
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$dir/tokens" >"$dir/softhsm2.conf"
  export SOFTHSM2_CONF="$dir/softhsm2.conf"
  softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$pin" >/dev/null
  local slot id usage
  for slot in 9d:03:derive 9a:01:sign 9c:02:sign; do
    IFS=: read -r slot id usage <<<"$slot"
    # SoftHSM2 computes the ECDH the card would, and needs the key's own CKA_DERIVE for it.
    pkcs11-tool --module "$softhsm" --token-label "$label" --login --pin "$pin" \
      --keypairgen --key-type EC:prime256v1 --id "$id" --label "PIV slot $slot" \
      "--usage-$usage" >/dev/null
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ $# -ge 1 ] || { sed -n '2,21p' "$0" >&2; exit 2; }
  piv_card "$@"
fi
