#!/usr/bin/env bash
# Review (docs/SERVICE.md §5b): a group whose policy holds every recryption for an
# administrator. Bob's decryption waits (exit 10, naming the request); Alice lists the request
# and approves it while Bob's `decrypt --wait` asks again, which then completes; a second
# document she denies fails for Bob with her denial; only administrators list or decide, a
# decision is final, and the audit log records it.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

step "Alice's group g with review on, Bob a member, two documents"
start_service
for user in alice bob; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
ok alice group create g@example.com
ok alice group add g@example.com bob@example.com --fingerprint "$(fingerprint bob)"
ok alice group policy g@example.com --review on
grep -q "review             every recryption" <<<"$OUT" || die "review not on: $OUT"
printf 'first secret\n' >one.txt
printf 'second secret\n' >two.txt
printf 'third secret\n' >three.txt
ok alice encrypt -r g@example.com one.txt
ok alice encrypt -r g@example.com two.txt
ok alice encrypt -r g@example.com three.txt
ok alice --json group show g@example.com
key_id=$(jq -r '.key_id' <<<"$OUT")
[ -n "$key_id" ] && [ "$key_id" != null ] || die "no key id in: $OUT"
ok bob --json profile show
bob_id=$(jq -r '.id // .fingerprint' <<<"$OUT")

step "Bob's plain decrypt waits for review, naming the request"
refused 10 bob decrypt one.txt.jcd -o bob-one.txt
grep -q "the recryption waits for review by an administrator of group g@example.com: request [0-9]" \
  <<<"$ERR" || die "pending decrypt: $ERR"
grep -q -- "--wait" <<<"$ERR" || die "no hint of --wait: $ERR"
request=$(sed -n 's/.*: request \([0-9][0-9]*\).*/\1/p' <<<"$ERR" | head -1)
[ -n "$request" ] || die "no request id in: $ERR"
[ ! -e bob-one.txt ] || die "a waiting decryption left a file behind"
say "request $request"
refused 10 bob decrypt one.txt.jcd -o bob-one.txt
grep -q "request $request\\b" <<<"$ERR" || die "asking again made another request: $ERR"

step "Bob waits in the background while Alice lists and approves"
set +e
"$RECRYPT" --socket "$WORK/bob/run/agent.sock" decrypt --wait one.txt.jcd -o bob-one.txt \
  >"$WORK/wait.out" 2>"$WORK/wait.err" &
waiter=$!
set -e
PIDS+=("$waiter")
wait_for_line "$WORK/wait.err" \
  "waiting for an administrator to review request $request of group g@example.com (up to 600 seconds)" \
  >/dev/null
ok alice --json group review g@example.com
jq -e --arg r "$request" --arg k "$key_id" '.reviews | length == 1 and
    (.[0].id | tostring) == $r and .[0].state == "pending" and
    .[0].account == "bob@example.com" and .[0].key_id == $k and
    (.[0].device | length) > 0 and (.[0].agreement | length) > 0' <<<"$OUT" >/dev/null ||
  die "the pending list: $OUT"
ok alice group review g@example.com
grep -q "request $request  pending  bob@example.com  device " <<<"$OUT" || die "listing: $OUT"
ok alice group review g@example.com --approve "$request"
grep -q "request $request  approved  bob@example.com" <<<"$OUT" || die "approval: $OUT"
set +e
wait "$waiter"
rc=$?
set -e
forget_pid "$waiter"
[ "$rc" = 0 ] || die "decrypt --wait exited $rc: $(cat "$WORK/wait.err")"
same_file one.txt bob-one.txt
[ "$(grep -c "waiting for an administrator" "$WORK/wait.err")" = 1 ] ||
  die "decrypt --wait said it waits more than once: $(cat "$WORK/wait.err")"
ok bob decrypt one.txt.jcd -o bob-one-again.txt
same_file one.txt bob-one-again.txt

step "the approval opens that document only: Alice denies the second"
refused 10 bob decrypt two.txt.jcd -o bob-two.txt
second=$(sed -n 's/.*: request \([0-9][0-9]*\).*/\1/p' <<<"$ERR" | head -1)
[ -n "$second" ] && [ "$second" != "$request" ] || die "second request: $ERR"
ok alice group review g@example.com --deny "$second"
grep -q "request $second  denied  bob@example.com" <<<"$OUT" || die "denial: $OUT"
refused 4 bob decrypt two.txt.jcd -o bob-two.txt
grep -q "recryption denied at review by alice@example.com" <<<"$ERR" || die "denied decrypt: $ERR"
[ ! -e bob-two.txt ] || die "a denied decryption left a file behind"

step "decrypt --wait gives up when its time is up"
refused 10 bob decrypt --wait --wait-for 4 three.txt.jcd -o bob-three.txt
grep -q "still waiting for review after 4 seconds: request [0-9]* of group g@example.com" \
  <<<"$ERR" || die "timed-out wait: $ERR"
[ ! -e bob-three.txt ] || die "a timed-out wait left a file behind"

step "pending only by default, every request with --all"
ok alice --json group review g@example.com
jq -e '[.reviews[].state] == ["pending"]' <<<"$OUT" >/dev/null || die "pending list: $OUT"
ok alice group review g@example.com --deny "$(jq -r '.reviews[0].id' <<<"$OUT")"
ok alice group review g@example.com
grep -q "no pending review requests" <<<"$OUT" || die "pending list after decisions: $OUT"
ok alice --json group review g@example.com --all
jq -e '[.reviews[].state] == ["approved", "denied", "denied"]' <<<"$OUT" >/dev/null ||
  die "--all: $OUT"
jq -e '.reviews[0].decided_by_account == "alice@example.com"' <<<"$OUT" >/dev/null ||
  die "decided by: $OUT"

step "refusals, each for its own reason"
refused 1 alice group review g@example.com --approve "$second"
grep -q "review request $second is already denied by alice@example.com" <<<"$ERR" ||
  die "deciding twice: $ERR"
refused 1 alice group review g@example.com --deny 999
grep -q "no review request 999 in this group" <<<"$ERR" || die "unknown request: $ERR"
refused 4 bob group review g@example.com
grep -q "bob@example.com is not an administrator of group g@example.com" <<<"$ERR" ||
  die "Bob listed reviews: $ERR"
refused 4 bob group review g@example.com --approve "$second"
grep -q "bob@example.com is not an administrator of group g@example.com" <<<"$ERR" ||
  die "Bob decided a review: $ERR"
refused 2 alice group review g@example.com --approve 1 --deny 2
grep -q "excludes" <<<"$ERR" || die "usage: $ERR"

step "the audit log records the requests and the decisions"
ok alice group audit g@example.com
grep -q "DecideReview  .* 201 approved review request $request of bob@example.com" <<<"$OUT" ||
  die "no approval in the audit: $OUT"
grep -q "DecideReview  .* 201 denied review request $second of bob@example.com" <<<"$OUT" ||
  die "no denial in the audit: $OUT"
grep -q "RecryptData  .* 202 recryption waits for review (request $request)" <<<"$OUT" ||
  die "no waiting recryption in the audit: $OUT"
ok alice --json group audit g@example.com
python3 - "$OUT" <<'PYEOF' || die "a decision's audit record names no key agreement: $OUT"
import json, sys
decisions = [r for r in json.loads(sys.argv[1])
             if r["transaction"] == "DecideReview" and r["status"] == 201]
assert len(decisions) == 3 and all(r.get("agreement") for r in decisions), decisions
PYEOF

step "passed"
