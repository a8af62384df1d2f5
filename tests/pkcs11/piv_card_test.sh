#!/usr/bin/env bash
# A card made by piv_card.sh, listed by OpenSC's pkcs11-tool through the PIV module: the keys
# are in their slots under the real modules' labels and ids, in both flavours, and nothing
# else on the token shows. Needs SoftHSM2 and pkcs11-tool; says 77 without them.
set -euo pipefail
: "${PIV_MODULE:?set PIV_MODULE to the piv_pkcs11 module}"
command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null || exit 77
[ -f /usr/lib/softhsm/libsofthsm2.so ] || exit 77

work=$(mktemp -d "${TMPDIR:-/tmp}/recrypt-piv.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=piv_card.sh
source "$(dirname "$0")/piv_card.sh"
piv_card "$work" card 123456

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# "label=id" for every object the module shows, sorted.
objects() {
  RECRYPT_PIV_FLAVOUR=$1 pkcs11-tool --module "$PIV_MODULE" --login --pin 123456 --list-objects \
    2>/dev/null | awk '/^ *label:/ {sub(/^ *label: */, ""); l = $0} /^ *ID:/ {print l "=" $2}' | sort
}

want_ykcs11="Private key for Digital Signature=02
Private key for Key Management=03
Private key for PIV Authentication=01
Public key for Digital Signature=02
Public key for Key Management=03
Public key for PIV Authentication=01"
got=$(objects ykcs11)
[ "$got" = "$want_ykcs11" ] || fail "ykcs11 shows:"$'\n'"$got"

want_opensc="KEY MAN key=03
KEY MAN pubkey=03
PIV AUTH key=01
PIV AUTH pubkey=01
SIGN key=02
SIGN pubkey=02"
got=$(objects opensc)
[ "$got" = "$want_opensc" ] || fail "opensc shows:"$'\n'"$got"

# The token reads as the card of each flavour.
slots=$(RECRYPT_PIV_FLAVOUR=ykcs11 pkcs11-tool --module "$PIV_MODULE" --list-slots 2>/dev/null)
grep -q 'token label *: YubiKey PIV #[0-9]' <<<"$slots" || fail "no YubiKey label:"$'\n'"$slots"
slots=$(RECRYPT_PIV_FLAVOUR=opensc pkcs11-tool --module "$PIV_MODULE" --list-slots 2>/dev/null)
grep -q 'token label *: PIV_II' <<<"$slots" || fail "no PIV_II label:"$'\n'"$slots"
echo "piv card: ok"
