#!/usr/bin/env bash
# A card whose module lists no CKM_ECDH1_DERIVE (the PIV test module with RECRYPT_PIV_NO_ECDH=1)
# cannot be a device: `recrypt personal` is refused with the mechanism named and exit 8 (a
# device failure), nothing else. A card that loses ECDH after its profile was made (another
# module for it, say) fails a decrypt as a device failure too, exit 8, never as a refusal (4).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
[ -f "$PIV_MODULE" ] || die "no $PIV_MODULE (built with the pkcs11 tests)"
export BACKEND_carol=piv BACKEND_bob=piv
start_service

step "a card without ECDH is refused as a device"
RECRYPT_PIV_NO_ECDH=1 start_agent carol
# shellcheck disable=SC2046
refused 8 carol personal carol@example.com --service "$SERVICE_URL" $(personal_key_args carol)
say "$ERR"
grep -q "cannot do ECDH" <<<"$ERR" && grep -q "CKM_ECDH1_DERIVE" <<<"$ERR" || die "the refusal does not name the mechanism: $ERR"
refused 1 carol profile show
grep -q "no profile" <<<"$ERR" || die "a refused personal left a profile: $ERR"

step "a card that lost ECDH: the decrypt fails as a device (exit 8)"
alice_shares_with bob g@example.com
stop_agent bob
RECRYPT_PIV_NO_ECDH=1 start_agent bob
refused 8 bob decrypt doc.txt.jcd -o bob.txt
say "$ERR"
grep -q "CKM_ECDH1_DERIVE" <<<"$ERR" || die "the device failure does not name the mechanism: $ERR"
[ ! -e bob.txt ] || die "a failed decrypt left a file"
echo "piv_no_ecdh: ok"
