#!/usr/bin/env bash
# A member's privileges, a group's new name, leaving a group; the profile as its owner shows
# and exports it; `fingerprint` of public keys, profiles and other bytes; a slash alias after
# the global options.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

# has TEXT WORDS: TEXT must contain WORDS.
has() { grep -qF -- "$2" <<<"$1" || die "expected \"$2\" in: $1"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# The UDF of DATA (a file) with content type TYPE, computed here as the draft defines it.
udf_of() {
  python3 - "$1" "$2" <<'PYEOF'
import base64, hashlib, sys
data = open(sys.argv[2], "rb").read()
inner = hashlib.sha512(data).digest()
tcdv = hashlib.sha512(sys.argv[1].encode() + b":" + inner).digest()
chars = base64.b32encode(b"\x60" + tcdv).decode()[:28]
print("-".join(chars[i:i + 4] for i in range(0, 28, 4)))
PYEOF
}

start_service
for u in alice bob carol dave; do
  start_agent "$u"
  ok "$u" personal "$u@example.com" --service "$SERVICE_URL"
done

step "profile show and export"
BOB_FP=$(fingerprint bob)
ok bob profile show
has "$OUT" "fingerprint  $BOB_FP"
has "$OUT" "read aloud   1 ${BOB_FP:0:4}  2 ${BOB_FP:5:4}  3 "
has "$OUT" "  encryption "
ok bob --json profile show
[ "$(json_field id <<<"$OUT")" = "$BOB_FP" ] || die "profile show --json: $OUT"
ok bob profile export -o bob.profile
ok alice fingerprint bob.profile
[ "$OUT" = "$BOB_FP  personal profile of bob@example.com (signature verified)" ] || die "$OUT"
ok alice --json fingerprint bob.profile
[ "$(json_field kind <<<"$OUT")" = profile ] || die "fingerprint --json of a profile: $OUT"
# A profile whose signature no longer verifies is said to be one, not taken for bytes.
python3 - <<'PYEOF'
t = open("bob.profile").read().strip()
h, p, s = t.split(".")
s = ("B" if s[0] != "B" else "C") + s[1:]
open("tampered.profile", "w").write(".".join([h, p, s]) + "\n")
PYEOF
refused 5 alice fingerprint tampered.profile
has "$ERR" "a signed profile that does not verify"

step "fingerprint of public keys and other bytes"
openssl ecparam -name prime256v1 -genkey -noout -out p256.key 2>/dev/null
openssl ec -in p256.key -pubout -out p256.pem 2>/dev/null
openssl ec -in p256.key -pubout -outform DER -out p256.der 2>/dev/null
KEY_FP=$(udf_of application/pkix-keyinfo p256.der)
ok alice fingerprint p256.pem
[ "$OUT" = "$KEY_FP  public key (PEM, P-256)" ] || die "PEM: $OUT (expected $KEY_FP)"
ok alice fingerprint p256.der
[ "$OUT" = "$KEY_FP  public key (DER, P-256)" ] || die "DER: $OUT (expected $KEY_FP)"
ok alice --json fingerprint p256.der
[ "$(json_field kind <<<"$OUT")" = public_key ] || die "fingerprint --json of a key: $OUT"
openssl ecparam -name secp384r1 -genkey -noout -out p384.key 2>/dev/null
openssl ec -in p384.key -pubout -out p384.pem 2>/dev/null
refused 5 alice fingerprint p384.pem
has "$ERR" "PEM public key: unsupported curve secp384r1"
refused 5 alice fingerprint p256.key
has "$ERR" "this is a PEM EC PRIVATE KEY: fingerprint its public key instead"
printf 'just some bytes\n' >bytes.txt
ok alice fingerprint bytes.txt
[ "$OUT" = "$(udf_of application/octet-stream bytes.txt)  data (application/octet-stream)" ] ||
  die "bytes: $OUT"
ok alice --json fingerprint --type text/plain bytes.txt
[ "$(json_field fingerprint <<<"$OUT")" = "$(udf_of text/plain bytes.txt)" ] || die "$OUT"
[ "$(json_field kind <<<"$OUT")" = data ] || die "fingerprint --json of bytes: $OUT"

step "privileges: a member without RECRYPT cannot decrypt"
ok alice group create team@example.com
ok alice group add team@example.com bob@example.com --fingerprint "$BOB_FP"
ok alice group add team@example.com carol@example.com --fingerprint "$(fingerprint carol)"
printf 'minutes\n' >doc.txt
# `as` puts --socket first: the alias comes after a global option.
ok alice /encrypt -r team@example.com -o doc.jcd doc.txt
ok bob --json /decrypt doc.jcd -o bob-1.txt
same_file doc.txt bob-1.txt
ok alice group privileges team@example.com bob@example.com --none
has "$OUT" "bob@example.com in team@example.com: no privileges"
refused 4 bob decrypt doc.jcd -o bob-2.txt
has "$ERR" "member lacks the RECRYPT privilege"
ok alice group privileges team@example.com bob@example.com RECRYPT
ok bob decrypt doc.jcd -o bob-3.txt
same_file doc.txt bob-3.txt
refused 4 alice group privileges team@example.com bob@example.com RECRYPT,ADMIN
has "$ERR" "make or unmake an administrator with \`recrypt group admin add|remove\`"
refused 2 alice group privileges team@example.com bob@example.com
has "$ERR" "give the privileges (RECRYPT) or --none"
refused 4 bob group privileges team@example.com carol@example.com --none
has "$ERR" "bob@example.com is not an administrator of group team@example.com (by its membership chain)"

step "update: a new name, which senders find"
ok alice group update team@example.com --name crew@example.com
has "$OUT" "group team@example.com is now crew@example.com"
ok carol encrypt -r crew@example.com -o renamed.jcd doc.txt
ok bob decrypt renamed.jcd -o bob-renamed.txt
same_file doc.txt bob-renamed.txt
refused 1 carol encrypt -r team@example.com -o old-name.jcd doc.txt
has "$ERR" "no such profile"
ok carol group create taken@example.com
refused 1 alice group update crew@example.com --name taken@example.com
has "$ERR" "the name taken@example.com is not free on $SERVICE_URL: another group holds it"

step "leave: a member revokes itself; the last SUPER may not"
ok bob group leave crew@example.com
has "$OUT" "left crew@example.com"
refused 4 bob decrypt renamed.jcd -o bob-left.txt
has "$ERR" "member is revoked"
ok alice --json group show crew@example.com
python3 -c '
import json, sys
members = {m["account"]: m for m in json.load(sys.stdin)["members"]}
assert members["bob@example.com"]["status"] == "REVOKED", members
' <<<"$OUT" || die "bob is not revoked in the chain: $OUT"
refused 4 alice group leave crew@example.com
has "$ERR" "the last ACTIVE SUPER administrator cannot leave the group or step down: hand the group over first (\`recrypt group handover\`)"
# With another SUPER in the group, its administrator may leave, and its agent forgets the
# group's keys.
ok alice group add crew@example.com dave@example.com --fingerprint "$(fingerprint dave)" \
  --privileges RECRYPT,ADMIN,SUPER
ok alice group leave crew@example.com
has "$OUT" "left crew@example.com; this agent forgot its keys"
ok alice group list
[ -z "$OUT" ] || die "alice still administers: $OUT"
say "ok"
