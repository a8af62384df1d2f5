#!/usr/bin/env bash
# Two recryptd on one PostgreSQL store behind one service URL (a load balancer that forwards to
# the instance the test names): a group created through instance A, a member revoked through
# B, and that member's decrypt through A refused at once with the revocation's reason, though A
# served him just before; the administrator's own decrypt through A still works. Says 77
# without PostgreSQL or python3.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
command -v python3 >/dev/null || exit 77
start_postgres || exit $?

step "recryptd A and B on one store, behind one URL"
python3 "$here/balancer.py" --target "$WORK/target" >balancer.out 2>balancer.log &
PIDS+=("$!")
front=$(wait_for_line balancer.out "listening on")
FRONT="http://127.0.0.1:${front##*:}"
SERVICE_DIR="$WORK/service-a" SERVICE_DB="$PG_URL" start_service --audience "$FRONT"
A_URL=$SERVICE_URL
SERVICE_DIR="$WORK/service-b" SERVICE_DB="$PG_URL" start_service --audience "$FRONT"
B_URL=$SERVICE_URL
through() { printf '%s\n' "$1" >"$WORK/target"; }
through "$A_URL"

step "through A: Alice's group with Bob, a document, Bob reads it"
for user in alice bob; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$FRONT"
done
ok alice group create g@example.com
ok alice group add g@example.com bob@example.com --fingerprint "$(fingerprint bob)"
printf 'minutes\n' >doc.txt
ok alice encrypt -r g@example.com -o doc.jcd doc.txt
ok bob decrypt doc.jcd -o bob-1.txt
same_file doc.txt bob-1.txt

step "through B: Alice revokes Bob"
through "$B_URL"
ok alice group revoke g@example.com bob@example.com
grep -q "UpdateMemberRequest -> $B_URL" balancer.log || die "the revocation did not go through B"

step "through A: Bob is refused at once, Alice still reads"
through "$A_URL"
refused 4 bob decrypt doc.jcd -o bob-2.txt
grep -q "member is revoked" <<<"$ERR" || die "Bob was refused for another reason: $ERR"
[ ! -e bob-2.txt ] || die "a refused decrypt wrote its output"
ok alice decrypt doc.jcd -o alice.txt
same_file doc.txt alice.txt
grep -q "RecryptDataRequest -> $A_URL" balancer.log || die "the decrypts did not go through A"

step "passed"
