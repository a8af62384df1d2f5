#!/usr/bin/env bash
# Who read this document? `recrypt group audit GROUP --document FILE` names, from the group's
# audit at its service, each member who opened that document (when, from which device) and
# each who was refused, with the reason; another document's reads stay out. An all-of
# document is audited from either group's log.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

step "Alice's group g with Bob, Carol and Dave; group h with Bob"
start_service
for user in alice bob carol dave; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
ok alice group create g@example.com
for user in bob carol dave; do
  ok alice group add g@example.com "$user@example.com" --fingerprint "$(fingerprint "$user")"
done
ok alice group create h@example.com
ok alice group add h@example.com bob@example.com --fingerprint "$(fingerprint bob)"

step "D2 opened by Dave and Bob; D1 by Bob and Carol"
printf 'the second document\n' >d2.txt
ok alice encrypt -r g@example.com d2.txt
ok dave decrypt d2.txt.jcd -o dave-d2.txt
ok bob decrypt d2.txt.jcd -o bob-d2.txt
printf 'the first document\n' >d1.txt
ok alice encrypt -r g@example.com d1.txt
ok bob decrypt d1.txt.jcd -o bob-d1.txt
ok carol decrypt d1.txt.jcd -o carol-d1.txt

step "Dave revoked, then refused on D1"
ok alice group revoke g@example.com dave@example.com
refused 4 dave decrypt d1.txt.jcd -o dave-d1.txt
grep -q "member is revoked" <<<"$ERR" || die "Dave was refused for another reason: $ERR"

step "the audit of D1: Bob and Carol opened it, Dave was refused, nothing of D2"
# device_kid USER: the fingerprint of the signing key of USER's device, which signs its requests.
device_kid() {
  "$RECRYPT" --socket "$WORK/$1/run/agent.sock" --json profile show |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["devices"][0]["signing_fingerprint"])'
}
ok alice group audit g@example.com --document d1.txt.jcd
while IFS= read -r line; do say "$line"; done <<<"$OUT"
[ "$(wc -l <<<"$OUT")" = 3 ] || die "D1's audit is not three lines: $OUT"
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
grep -Eq "^$iso  bob@example.com  $(device_kid bob)  opened$" <<<"$OUT" ||
  die "Bob's read of D1: $OUT"
grep -Eq "^$iso  carol@example.com  $(device_kid carol)  opened$" <<<"$OUT" ||
  die "Carol's read: $OUT"
grep -Eq "^$iso  dave@example.com  $(device_kid dave)  refused: member is revoked$" <<<"$OUT" ||
  die "Dave's refusal: $OUT"
grep -q "dave@example.com.*opened" <<<"$OUT" && die "Dave's read of D2 shows under D1: $OUT"
# In order: Bob, Carol, then Dave.
[ "$(awk '{ print $2 }' <<<"$OUT" | tr '\n' ' ')" = "bob@example.com carol@example.com dave@example.com " ] ||
  die "not in the order of the log: $OUT"

ok alice --json group audit g@example.com --document d1.txt.jcd
python3 - "$OUT" <<'PY' || die "--json of D1's audit: $OUT"
import json, sys
records = json.loads(sys.argv[1])
assert [r["account"] for r in records] == ["bob@example.com", "carol@example.com", "dave@example.com"]
assert [r["outcome"] for r in records] == ["opened", "opened", "refused"]
assert all(r["document_matches"] for r in records), "a stated document id is not D1's"
assert len({r["document"] for r in records}) == 1 and len({r["agreement"] for r in records}) == 1
assert records[2]["status"] == 401 and records[2]["description"] == "member is revoked"
PY

step "the audit of D2: Dave (before his revocation) and Bob"
ok alice group audit g@example.com --document d2.txt.jcd
[ "$(awk '{ print $2 " " $4 }' <<<"$OUT" | tr '\n' ' ')" = "dave@example.com opened bob@example.com opened " ] ||
  die "D2's audit: $OUT"

step "an all-of document, audited from either group's log"
printf 'for g and h together\n' >d3.txt
ok alice encrypt d3.txt --all-of g@example.com,h@example.com
ok bob decrypt d3.txt.jcd -o bob-d3.txt
for group in g@example.com h@example.com; do
  ok alice group audit "$group" --document d3.txt.jcd
  grep -Eq "^$iso  bob@example.com  [A-Z0-9-]+  opened$" <<<"$OUT" || die "D3 in $group: $OUT"
  [ "$(wc -l <<<"$OUT")" = 1 ] || die "D3 in $group has more than Bob's read: $OUT"
done

step "refusals, each for its own reason"
printf 'only for h\n' >d4.txt
ok alice encrypt -r h@example.com d4.txt
refused 1 alice group audit g@example.com --document d4.txt.jcd
grep -q "the document is not addressed to group g@example.com" <<<"$ERR" ||
  die "a document of another group: $ERR"
refused 4 bob group audit g@example.com --document d1.txt.jcd
grep -q "not an administrator of group g@example.com" <<<"$ERR" || die "Bob auditing: $ERR"
printf 'not a document\n' >plain.txt
refused 5 alice group audit g@example.com --document plain.txt
ok alice group audit g@example.com --document - <d1.txt.jcd
[ "$(wc -l <<<"$OUT")" = 3 ] || die "D1 from standard input: $OUT"

step "the whole log, one line per record"
ok alice group audit g@example.com
grep -Eq "^$iso  RecryptData  [A-Z0-9-]+  [A-Z0-9-]+  401 member is revoked$" <<<"$OUT" ||
  die "the whole log: $OUT"
ok alice --json group audit g@example.com
python3 -c 'import json, sys; assert isinstance(json.loads(sys.argv[1]), list)' "$OUT" ||
  die "--json of the whole log: $OUT"

step "passed"
