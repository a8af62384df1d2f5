#!/usr/bin/env bash
# A group's policy at its service: shown and changed by administrators only, checked by the
# service (unknown members, unknown keys), and kept across a restart of recryptd.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

step "Alice's group g with Bob as a member"
start_service
for user in alice bob; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
ok alice group create g@example.com
ok alice group add g@example.com bob@example.com --fingerprint "$(fingerprint bob)"

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
refused 1 alice group policy g@example.com --member carol@example.com --per-hour 1
grep -q "carol@example.com is not a member of g@example.com" <<<"$ERR" || die "unknown member: $ERR"
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

step "passed"
