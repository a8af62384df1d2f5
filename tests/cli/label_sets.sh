#!/usr/bin/env bash
# Label expressions and revocation with rotation: a document for (A & B) | (C & D) opens for a
# member of A and B and for a member of C and D, not for a member of A and C; `group revoke
# --rotate` revokes and changes the group key in one command.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
key_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])'; }

step "Alice's groups A, B, C, D; Bob in A and B, Carol in C and D, Dave in A and C"
start_service
for user in alice bob carol dave; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
for g in a b c d; do ok alice group create "$g@example.com"; done
add() { ok alice group add "$1@example.com" "$2@example.com" --fingerprint "$(fingerprint "$2")"; }
add a bob; add b bob; add c carol; add d carol; add a dave; add c dave

step "a document for (A & B) | (C & D)"
printf 'for A and B, or C and D\n' >label.txt
ok alice encrypt label.txt --all-of a@example.com,b@example.com --all-of c@example.com,d@example.com
refused 5 alice encrypt label.txt -o one.jcd --all-of a@example.com
grep -q -- "--all-of needs at least two groups" <<<"$ERR" || die "a one-group set: $ERR"
ok bob decrypt label.txt.jcd -o bob.txt
same_file label.txt bob.txt
ok carol decrypt label.txt.jcd -o carol.txt
same_file label.txt carol.txt
refused 4 dave decrypt label.txt.jcd -o dave.txt
[ ! -e dave.txt ] || die "a refused decryption left a file"
grep -q "not a member of this group" <<<"$ERR" || die "Dave was refused for another reason: $ERR"
say "Dave (A and C): $ERR"

step "revoke with rotation, in one command"
ok alice --json group show a@example.com
before=$(key_of <<<"$OUT")
ok alice group revoke a@example.com bob@example.com --rotate
grep -q "rotated to key" <<<"$OUT" || die "revoke --rotate did not say it rotated: $OUT"
ok alice --json group show a@example.com
after=$(key_of <<<"$OUT")
[ "$before" != "$after" ] || die "revoke --rotate left the key as it was ($before)"
grep -q "bob@example.com .* REVOKED" <<<"$(as alice group show a@example.com; echo "$OUT")" ||
  die "Bob is not revoked"
printf 'after the revocation\n' >after.txt
ok alice encrypt -r a@example.com after.txt
grep -q "\"kid\":\"$after\"" after.txt.jcd || die "the new document is not for the new key"
ok dave decrypt after.txt.jcd -o dave-after.txt
same_file after.txt dave-after.txt
refused 4 bob decrypt after.txt.jcd -o bob-after.txt
grep -q "member is revoked" <<<"$ERR" || die "Bob was refused for another reason: $ERR"

step "passed"
