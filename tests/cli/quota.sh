#!/usr/bin/env bash
# Quotas at the service: Bob's own quota of 3 recryptions per hour refuses his fourth decrypt,
# naming the rule; the administrator sees the refusal in the audit; Carol, without a quota of
# her own, is not limited by Bob's; and a restart of recryptd does not reset Bob's count.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

step "Alice's group g with Bob and Carol, and a document for it"
start_service
for user in alice bob carol; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
ok alice group create g@example.com
for user in bob carol; do
  ok alice group add g@example.com "$user@example.com" --fingerprint "$(fingerprint "$user")"
done
printf 'minutes\n' >doc.txt
ok alice encrypt -r g@example.com -o doc.jcd doc.txt

step "Bob's quota: 3 recryptions per hour"
ok alice group policy g@example.com --member bob@example.com --per-hour 3
grep -q "quota of bob@example.com  3 per hour, no limit per day" <<<"$OUT" || die "policy: $OUT"
for i in 1 2 3; do
  ok bob decrypt doc.jcd -o "bob-$i.txt"
  same_file doc.txt "bob-$i.txt"
done
refused 4 bob decrypt doc.jcd -o bob-4.txt
grep -q "quota exceeded: 3 recryptions per hour for this member; retry in [0-9]* s" <<<"$ERR" ||
  die "Bob's fourth decrypt was refused for another reason: $ERR"
say "$ERR"
[ ! -e bob-4.txt ] || die "a refused decrypt wrote its output"

step "the administrator sees the refusal and its reason"
ok alice --json group audit g@example.com
python3 - "$OUT" <<'PYEOF' || die "no 429 record with the quota's reason in the audit: $OUT"
import json, sys
records = json.loads(sys.argv[1])
refusals = [r for r in records if r["transaction"] == "RecryptData" and r["status"] == 429
            and r["description"].startswith("quota exceeded: 3 recryptions per hour for this member")]
answered = [r for r in records if r["transaction"] == "RecryptData" and r["status"] == 201]
sys.exit(0 if len(refusals) == 1 and len(answered) == 3 else 1)
PYEOF

step "Carol has no quota of her own: Bob's does not limit her"
for i in 1 2 3 4 5; do
  ok carol decrypt doc.jcd -o "carol-$i.txt"
done
same_file doc.txt carol-5.txt

step "a restart of the service keeps Bob's count"
restart_service
refused 4 bob decrypt doc.jcd -o bob-5.txt
grep -q "quota exceeded: 3 recryptions per hour for this member; retry in [0-9]* s" <<<"$ERR" ||
  die "after the restart Bob was refused for another reason, or not at all: $ERR"
ok carol decrypt doc.jcd -o carol-6.txt

step "lifting the quota lets Bob read again"
ok alice group policy g@example.com --member bob@example.com --group-default
ok bob decrypt doc.jcd -o bob-6.txt
same_file doc.txt bob-6.txt

step "passed"
