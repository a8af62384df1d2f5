#!/usr/bin/env bash
# A group's policy at its service: shown and changed by administrators only, checked by the
# service (unknown members, unknown keys), kept across a restart of recryptd; hidden membership
# (a member sees only its own entry, an administrator all) and rotation on every revocation.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

key_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])'; }
accounts() { python3 -c 'import json,sys; print(" ".join(sorted(m["account"] for m in json.load(sys.stdin)["members"])))'; }

step "Alice's group g with Bob and Carol as members"
start_service
for user in alice bob carol; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
ok alice group create g@example.com
ok alice group add g@example.com bob@example.com --fingerprint "$(fingerprint bob)"
ok alice group add g@example.com carol@example.com --fingerprint "$(fingerprint carol)"
ok bob --json group show g@example.com
[ "$(accounts <<<"$OUT")" = "alice@example.com bob@example.com carol@example.com" ] ||
  die "before hiding, Bob sees: $OUT"

step "the default policy, then each setting"
ok alice group policy g@example.com
grep -q "hidden membership  off" <<<"$OUT" || die "default policy: $OUT"
grep -q "quota              no limit per hour, no limit per day" <<<"$OUT" || die "default quota: $OUT"
ok alice group policy g@example.com --per-hour 10 --per-day 50 --rotate-on-revoke on
grep -q "quota              10 per hour, 50 per day" <<<"$OUT" || die "group quota: $OUT"
grep -q "rotate on revoke   on" <<<"$OUT" || die "rotate on revoke: $OUT"
ok alice group policy g@example.com --member bob@example.com --per-hour 3
grep -q "quota of bob@example.com  3 per hour, no limit per day" <<<"$OUT" || die "Bob's quota: $OUT"
ok alice group policy g@example.com --hidden-membership on
grep -q "quota of bob@example.com  3 per hour" <<<"$OUT" || die "one change dropped another: $OUT"
grep -q "rotate on revoke   on" <<<"$OUT" || die "one change dropped another: $OUT"

step "refusals, each for its own reason"
refused 1 alice group policy g@example.com --member dave@example.com --per-hour 1
grep -q "dave@example.com is not a member of g@example.com" <<<"$ERR" || die "unknown member: $ERR"
refused 1 alice group policy g@example.com --review-key MNOTAKEYOFTHISGROUPATALL
grep -q "review key MNOTAKEYOFTHISGROUPATALL is not a key of the group" <<<"$ERR" ||
  die "unknown review key: $ERR"
refused 4 bob group policy g@example.com --review on
grep -q "bob@example.com is not an administrator of group g@example.com" <<<"$ERR" ||
  die "Bob was refused for another reason: $ERR"
refused 2 alice group policy g@example.com --member bob@example.com
grep -q -- "--member needs --per-hour, --per-day or --group-default" <<<"$ERR" || die "usage: $ERR"

step "kept across a restart of the service"
restart_service
ok alice group policy g@example.com
grep -q "hidden membership  on" <<<"$OUT" || die "lost in the restart: $OUT"
ok alice group policy g@example.com --member bob@example.com --group-default
grep -q "quota of bob" <<<"$OUT" && die "Bob's own quota stayed: $OUT"

step "hidden membership: Bob sees his own entry only, Alice every member"
ok bob --json group show g@example.com
[ "$(accounts <<<"$OUT")" = "bob@example.com" ] || die "Bob sees more than himself: $OUT"
ok bob group show g@example.com
grep -q "hidden from its members: your own entry" <<<"$OUT" || die "Bob is not told why: $OUT"
grep -q "carol" <<<"$OUT" && die "Bob sees Carol: $OUT"
ok alice --json group show g@example.com
[ "$(accounts <<<"$OUT")" = "alice@example.com bob@example.com carol@example.com" ] ||
  die "Alice does not see every member: $OUT"
printf 'for the list\n' >list.txt
ok alice encrypt -r g@example.com list.txt
ok bob decrypt list.txt.jcd -o bob.txt
same_file list.txt bob.txt

step "rotation on every revocation, by the group's policy"
ok alice --json group show g@example.com
before=$(key_of <<<"$OUT")
ok alice group policy g@example.com --rotate-on-revoke on
ok alice group revoke g@example.com carol@example.com
grep -q "rotated to key .* (the group's policy rotates on every revocation)" <<<"$OUT" ||
  die "the revocation did not rotate: $OUT"
ok alice --json group show g@example.com
after=$(key_of <<<"$OUT")
[ "$before" != "$after" ] || die "the key is still $before"
printf 'after Carol\n' >after.txt
ok alice encrypt -r g@example.com after.txt
ok bob decrypt after.txt.jcd -o bob-after.txt
same_file after.txt bob-after.txt
refused 4 carol decrypt after.txt.jcd -o carol-after.txt
grep -q "member is revoked" <<<"$ERR" || die "Carol was refused for another reason: $ERR"

step "Bob leaves the hidden group without reading its chain"
ok bob group leave g@example.com
ok alice group show g@example.com
grep -q "bob@example.com .* REVOKED" <<<"$OUT" || die "Bob did not leave: $OUT"
refused 4 bob decrypt list.txt.jcd -o bob-gone.txt
grep -q "member is revoked" <<<"$ERR" || die "Bob was refused for another reason: $ERR"

step "passed"
