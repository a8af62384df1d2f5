#!/usr/bin/env bash
# RecryptBatch from the agent: an all-of document of three groups on one service opens with
# one request to it, and an all-of recipient with one refused group still lets the document
# open through another recipient.
# Requests are counted in recryptd's request log.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

# count TYPE: the requests of that transaction in the service's request log so far.
count() { grep -c "\"type\":\"$1\"" "$WORK/service/log" || true; }

step "Alice's groups A, B and C; Bob in all three"
start_service
for user in alice bob; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
for g in a b c; do
  ok alice group create "$g@example.com"
  ok alice group add "$g@example.com" bob@example.com --fingerprint "$(fingerprint bob)"
done

step "A & B & C opens in one request"
printf 'for A and B and C\n' >abc.txt
ok alice encrypt abc.txt --all-of a@example.com,b@example.com,c@example.com
batches=$(count RecryptBatch) singles=$(count RecryptData)
ok bob decrypt abc.txt.jcd -o bob-abc.txt
same_file abc.txt bob-abc.txt
[ "$(count RecryptBatch)" = $((batches + 1)) ] ||
  die "expected one RecryptBatch, the log has $(($(count RecryptBatch) - batches))"
[ "$(count RecryptData)" = "$singles" ] ||
  die "the document also cost $(($(count RecryptData) - singles)) RecryptData"
say "one RecryptBatch, no RecryptData"

step "(A & C) | (A & B), Bob revoked from C: the batch refuses C, A & B opens"
ok alice group revoke c@example.com bob@example.com
printf 'for A and C, or A and B\n' >acb.txt
ok alice encrypt acb.txt --all-of a@example.com,c@example.com --all-of a@example.com,b@example.com
batches=$(count RecryptBatch) singles=$(count RecryptData)
ok bob decrypt acb.txt.jcd -o bob-acb.txt
same_file acb.txt bob-acb.txt
# Each recipient has its own T: A & C in one batch, then A & B in another.
[ "$(count RecryptBatch)" = $((batches + 2)) ] || die "not one batch per recipient"
[ "$(count RecryptData)" = "$singles" ] || die "an agreement was asked alone"
ok alice group audit c@example.com
grep -q "member is revoked" <<<"$OUT" || die "C's audit does not say why Bob was refused: $OUT"

step "C | A (any-of): each recipient asked alone, in order, until one opens"
ok alice encrypt acb.txt -o c-or-a.jcd -r c@example.com -r a@example.com
batches=$(count RecryptBatch) singles=$(count RecryptData)
ok bob decrypt c-or-a.jcd -o bob-c-or-a.txt
same_file acb.txt bob-c-or-a.txt
[ "$(count RecryptBatch)" = "$batches" ] || die "an any-of document was asked as a batch"
[ "$(count RecryptData)" = $((singles + 2)) ] || die "expected C then A, one RecryptData each"

step "A & C alone does not open, naming the rule"
ok alice encrypt acb.txt -o ac.jcd --all-of a@example.com,c@example.com
refused 4 bob decrypt ac.jcd -o bob-ac.txt
grep -q "member is revoked" <<<"$ERR" || die "Bob was refused for another reason: $ERR"

step "passed"
