#!/usr/bin/env bash
# A tpm2-pkcs11 token (Debian's 1.9.0, on swtpm) behind the agent. That release has no ECDH:
# C_DeriveKey answers CKR_FUNCTION_NOT_SUPPORTED and CKM_ECDH1_DERIVE is not in the mechanism
# list. Creating a profile on it must be refused (exit 8) with a message that names the
# missing mechanism, and must leave nothing behind: no objects on the token, no rows in the
# module's store, no new TPM handles.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
[ -f "$TPM2_PKCS11_MODULE" ] || { echo "no tpm2-pkcs11 module ($TPM2_PKCS11_MODULE)"; exit 77; }
for tool in swtpm tpm2_ptool tpm2_getcap tpm2_flushcontext pkcs11-tool sqlite3; do
  command -v "$tool" >/dev/null || { echo "no $tool"; exit 77; }
done

# What is on bob's token and TPM, one line each; the agent must be stopped (swtpm serves one
# connection at a time).
token_objects() {
  TPM2_PKCS11_STORE="$TPM2_PKCS11_STORE_bob" TPM2_PKCS11_TCTI="$TCTI_bob" \
    pkcs11-tool --module "$TPM2_PKCS11_MODULE" --token-label bob --login --pin "passphrase of bob" \
    --list-objects 2>&1 | grep -E '^[A-Za-z].*Object' || true
}
store_rows() { sqlite3 "$TPM2_PKCS11_STORE_bob/tpm2_pkcs11.sqlite3" 'select count(*) from tobjects'; }
tpm_handles() {
  { TPM2TOOLS_TCTI="$TCTI_bob" tpm2_getcap handles-persistent
    TPM2TOOLS_TCTI="$TCTI_bob" tpm2_getcap handles-transient; } | tr '\n' ' '
}

step "bob's token on his swtpm"
tpm2_pkcs11_token bob bob
TPM2_PKCS11_STORE="$TPM2_PKCS11_STORE_bob" TPM2_PKCS11_TCTI="$TCTI_bob" \
  pkcs11-tool --module "$TPM2_PKCS11_MODULE" -L 2>&1 | grep -q 'token label *: bob' || die "the token is not listed"
[ -z "$(token_objects)" ] || die "a new token holds objects: $(token_objects)"
handles_before=$(tpm_handles)
say "TPM handles: $handles_before"

step "a profile on it is refused for the missing mechanism"
start_service
BACKEND_bob=tpm2-pkcs11 start_agent bob
as bob personal bob@example.com --service "$SERVICE_URL"
say "exit $RC: $ERR"
stop_agent bob
[ "$RC" = 8 ] || die "recrypt personal exited $RC, expected 8: $ERR"
grep -q CKM_ECDH1_DERIVE <<<"$ERR" || die "the refusal does not name CKM_ECDH1_DERIVE: $ERR"

step "nothing is left behind"
left=$(token_objects)
[ -z "$left" ] || die "objects left on the token: $left"
[ "$(store_rows)" = 0 ] || die "$(store_rows) objects left in the tpm2-pkcs11 store"
[ "$(tpm_handles)" = "$handles_before" ] || die "TPM handles were $handles_before, now $(tpm_handles)"
echo "tpm2_pkcs11: ok"
