#!/usr/bin/env bash
# Escrow and recovery: Alice writes her group's keys to an escrow file for a recovery code, a
# passphrase and a key on a second token; an agent on a fresh home that never administered the
# group takes it up from the file and administers it (adds, revokes, rotates) while Alice's
# agent is stopped. Wrong codes, tampered files and a second recovery are refused for their
# reasons.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

code_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["recovery_code"])'; }

SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
step "Alice's recovery token holds a key that can derive (made by the token's own tool)"
softhsm_token alice vault
SOFTHSM2_CONF="$WORK/alice/softhsm/softhsm2.conf" pkcs11-tool --module "$SOFTHSM" \
  --token-label vault --login --pin "passphrase of alice" --keypairgen --key-type EC:prime256v1 \
  --label recovery --id 5245 --usage-derive >/dev/null
token=(--pkcs11-module "$SOFTHSM" --pkcs11-token pkcs11:token=vault)

step "Alice's group with Bob in it, and a document for it"
start_service
start_agent alice "${token[@]}"
start_agent bob
ok alice personal alice@example.com --service "$SERVICE_URL"
ok bob personal bob@example.com --service "$SERVICE_URL"
ok alice group create team@example.com
ok alice group add team@example.com bob@example.com --fingerprint "$(fingerprint bob)"
printf 'for bob\n' >doc.txt
ok alice encrypt -r team@example.com doc.txt
cp doc.txt before.txt
cp doc.txt.jcd before.txt.jcd

step "Alice escrows the group for a recovery code"
ok alice --json group escrow team@example.com -o team.escrow
code=$(code_of <<<"$OUT")
[[ "$code" =~ ^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$ ]] || die "the recovery code is not 8 groups of 4: $code"
[ "$(stat -c %a team.escrow)" = 600 ] || die "the escrow file is not 0600"
grep -q '"method": "code"' team.escrow || die "the escrow file does not say it opens with a code"
grep -q "$code" team.escrow && die "the escrow file holds its own recovery code"
say "escrow written, code $code"
# Lower case and without dashes is the same code.
printf '%s\n' "$(tr -d '-' <<<"$code" | tr 'A-Z' 'a-z')" >code.txt

step "Alice escrows it for her own passphrase too"
printf 'correct horse battery staple\n' >pass.txt
ok alice group escrow team@example.com -o team-pass.escrow --passphrase-file pass.txt
grep -q '"method": "passphrase"' team-pass.escrow || die "a passphrase escrow does not say so"

step "Alice escrows it for the key on her recovery token"
ok alice group escrow team@example.com -o team-key.escrow --to-key "pkcs11:object=recovery" -b pkcs11
grep -q '"method": "key"' team-key.escrow || die "a key escrow does not say so"
say "$OUT"

step "Alice's machine is gone; a fresh agent takes the group up from the escrow"
stop_agent alice
start_agent recoverer
ok recoverer personal recoverer@example.com --service "$SERVICE_URL"
refused 4 recoverer group add team@example.com carol@example.com
grep -q "recoverer@example.com is not an administrator of group team@example.com" <<<"$ERR" ||
  die "before recovery: $ERR"
refused 8 recoverer group recover team-key.escrow
grep -q "which no present device of this agent holds" <<<"$ERR" || die "a key escrow without its token: $ERR"
printf 'WRONG-CODE\n' >wrong.txt
refused 6 recoverer group recover team.escrow --passphrase-file wrong.txt
grep -q "the recovery code does not open this escrow" <<<"$ERR" || die "a wrong code: $ERR"
sed 's/"group": "team@example.com"/"group": "other@example.com"/' team.escrow >renamed.escrow
refused 1 recoverer group recover renamed.escrow --passphrase-file code.txt
grep -q "says it is for group other@example.com" <<<"$ERR" || die "a relabelled escrow: $ERR"
ok recoverer group recover team.escrow --passphrase-file code.txt
say "$OUT"
refused 1 recoverer group recover team-pass.escrow --passphrase-file pass.txt
grep -q "already administers group team@example.com" <<<"$ERR" || die "a second recovery: $ERR"

step "a second fresh agent with Alice's recovery token plugged in recovers from it"
mkdir -p "$WORK/keeper"
ln -s "$WORK/alice/softhsm" "$WORK/keeper/softhsm"
printf 'passphrase of alice\n' >"$WORK/keeper/passphrase"
start_agent keeper "${token[@]}"
ok keeper personal keeper@example.com --service "$SERVICE_URL"
ok keeper group recover team-key.escrow
say "$OUT"

step "the recovering agent administers: adds Carol, revokes Bob, rotates"
start_agent carol
ok carol personal carol@example.com --service "$SERVICE_URL"
ok recoverer group add team@example.com carol@example.com --fingerprint "$(fingerprint carol)"
ok carol decrypt before.txt.jcd -o carol-before.txt
same_file before.txt carol-before.txt
ok recoverer group revoke team@example.com bob@example.com
ok recoverer group rotate team@example.com
printf 'after the recovery\n' >after.txt
ok recoverer encrypt -r team@example.com after.txt
ok carol decrypt after.txt.jcd -o carol-after.txt
same_file after.txt carol-after.txt
refused 4 bob decrypt after.txt.jcd -o bob-after.txt
grep -q "member is revoked" <<<"$ERR" || die "Bob was refused for another reason: $ERR"
ok recoverer group show team@example.com
grep -q "recoverer@example.com .* ACTIVE .*SUPER" <<<"$OUT" || die "the recoverer is not SUPER: $OUT"

step "an escrow made before the rotation no longer recovers"
start_agent second
ok second personal second@example.com --service "$SERVICE_URL"
refused 4 second group recover team-pass.escrow --passphrase-file pass.txt
grep -q "the escrow was made before group team@example.com's current key" <<<"$ERR" ||
  die "a stale escrow: $ERR"
ok recoverer --json group escrow team@example.com -o fresh.escrow
code_of <<<"$OUT" >fresh-code.txt
ok second group recover fresh.escrow --passphrase-file fresh-code.txt

step "passed"
