#!/usr/bin/env bash
# The malicious-service suite: a recryptd whose operator edits its database, and a man in the
# middle who rewrites its answers (tamper_proxy.py), try to make the agents give a group's key
# to readers no administrator added, forget records of the membership chain, take one person's
# key for another's, or pass a group off as another. Every attempt must be refused with words
# that say what was wrong, and the honest flow must go on working afterwards.
#
# All users reach recryptd through the proxy (their configured service URL is the proxy's),
# and recryptd is started with --audience of that URL; in mode `pass` the proxy changes
# nothing. Database edits happen with recryptd stopped; restart_service brings it back on the
# same port. Usage: BUILD=build tests/cli/malicious_service.sh   (VERBOSE=1, KEEP_WORK=1)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
PY=$(command -v python3)
G=team@example.com
DB=$WORK/service/recryptd.db

has() { grep -qF -- "$2" <<<"$1" || die "expected \"$2\" in: $1"; }
sql() { sqlite3 -batch "$DB" "$@"; }
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The value the next record's "prev" would name: base64url(SHA-256(token)).
record_hash() {
  "$PY" -c 'import base64,hashlib,sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).rstrip(b"=").decode())' "$1"
}
# tamper SQL: the operator stops recryptd, edits its database, and starts it again.
tamper() {
  stop_service
  sql "$1"
  restart_service
}
# Saves the database (recryptd stopped: a clean shutdown leaves no WAL behind) / puts it back.
save_db() { stop_service; sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; cp "$DB" "$WORK/saved.db"; restart_service; }
restore_db() { stop_service; rm -f "$DB-wal" "$DB-shm"; cp "$WORK/saved.db" "$DB"; restart_service; }

# start_proxy [tamper_proxy.py options...]: the proxy on PROXY_PORT (chosen the first time) in
# front of recryptd; the agents' configured URL is PROXY_URL.
PROXY_PID=
start_proxy() {
  if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; forget_pid "$PROXY_PID"; fi
  rm -f "$WORK/proxy.out"  # not to read the last proxy's line
  "$PY" "$here/tamper_proxy.py" --listen "127.0.0.1:${PROXY_PORT:-0}" --upstream "$SERVICE_URL" "$@" \
    >"$WORK/proxy.out" 2>>"$WORK/proxy.log" &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  local line
  line=$(wait_for_line "$WORK/proxy.out" "listening on")
  PROXY_PORT=${line##*:}
  PROXY_URL="http://127.0.0.1:$PROXY_PORT"
}
# POST a request body to a service URL; the response body on stdout.
post() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/.well-known/recrypt/", data=sys.argv[2].encode(),
                             headers={"Content-Type": "application/json"})
sys.stdout.buffer.write(urllib.request.urlopen(req, timeout=10).read())
PYEOF
}

step "recryptd, and the tampering proxy in front of it (pass-through)"
start_service
start_proxy --mode pass
restart_service --audience "$PROXY_URL"
say "recryptd on $SERVICE_URL calls itself $PROXY_URL; the proxy listens there"
for u in alice bob carol dave mallory erin; do
  start_agent "$u"
  ok "$u" personal "$u@example.com" --service "$PROXY_URL"
done
for u in alice bob carol dave mallory erin; do printf -v "FP_$u" '%s' "$(fingerprint "$u")"; done
# In pass mode the proxy hands back what recryptd said, byte for byte (signed requests going
# through unchanged is what the profiles just published show).
request='{"GetProfileRequest":{"account":"bob@example.com"}}'
post "$SERVICE_URL" "$request" >direct.json
post "$PROXY_URL" "$request" >proxied.json
same_file direct.json proxied.json
! grep -q rewritten "$WORK/proxy.log" || die "the proxy rewrote something in pass mode"
say "pass-through: $(stat -c %s proxied.json) bytes, identical to recryptd's answer"

step "the honest flow: Alice's group, Bob and Carol in it, Carol revoked"
ok alice group create "$G"
GID=$("$RECRYPT" --socket "$WORK/alice/run/agent.sock" --json group list | json "[g['id'] for g in d if g['name']=='$G'][0]")
ok alice group add "$G" bob@example.com --fingerprint "$FP_bob"
ok alice group add "$G" carol@example.com --fingerprint "$FP_carol"
printf 'doc1: before anything happened\n' >doc1.txt
ok alice encrypt -r "$G" doc1.txt
ok bob decrypt doc1.txt.jcd -o bob-doc1.txt
same_file doc1.txt bob-doc1.txt
ok carol decrypt doc1.txt.jcd -o carol-doc1.txt
ok alice group revoke "$G" carol@example.com
refused 4 carol decrypt doc1.txt.jcd -o carol-doc1-again.txt
ok mallory group create mallory-team@example.com
say "group $G is $GID"

step "1. the operator adds a reader of its own (Mallory) and re-activates Carol"
tamper "INSERT INTO members(group_id, member_id, account, privileges, status)
          VALUES('$GID', '$FP_mallory', 'mallory@example.com', 1, 'ACTIVE');
        UPDATE members SET status = 'ACTIVE' WHERE group_id = '$GID' AND member_id = '$FP_carol';"
ok alice group rotate "$G"
has "$ERR" "recrypt: not given the new key: mallory@example.com ($FP_mallory): the service lists this member, but no administrator's record adds them"
has "$ERR" "recrypt: not given the new key: carol@example.com ($FP_carol): revoked by an administrator's record, though the service lists them ACTIVE"
printf '%s\n' "$ERR" | sed 's/^/   /'
printf 'doc2: after the rotation\n' >doc2.txt
ok alice encrypt -r "$G" doc2.txt
refused 4 mallory decrypt doc2.txt.jcd -o mallory-doc2.txt
has "$ERR" "no recryption key for this member and key_id"
refused 4 carol decrypt doc2.txt.jcd -o carol-doc2.txt
has "$ERR" "no recryption key for this member and key_id"
[ ! -e mallory-doc2.txt ] && [ ! -e carol-doc2.txt ] || die "a refused decryption left a file"
ok bob decrypt doc2.txt.jcd -o bob-doc2.txt
same_file doc2.txt bob-doc2.txt
say "Mallory and Carol cannot read doc2; Bob can"
ok alice group show "$G"
has "$OUT" "the service also lists, without an administrator's record to show for it:"
verified=$(sed '/without an administrator/,$d' <<<"$OUT")
unverified=$(sed -n '/without an administrator/,$p' <<<"$OUT")
has "$verified" "carol@example.com  $FP_carol  REVOKED"
! grep -q mallory <<<"$verified" || die "group show lists Mallory as a verified member: $OUT"
has "$unverified" "mallory@example.com  $FP_mallory  ACTIVE"
has "$unverified" "carol@example.com  $FP_carol  ACTIVE"
ok alice --json group show "$G"
reasons=$(json "' '.join(sorted(m['account'] + '=' + m['reason'] for m in d['unverified']))" <<<"$OUT")
[ "$reasons" = "carol@example.com=differs from the membership chain mallory@example.com=not in the membership chain" ] ||
  die "group show's unverified members: $reasons"
say "group show flags them: $reasons"
tamper "DELETE FROM members WHERE group_id = '$GID' AND member_id = '$FP_mallory';
        UPDATE members SET status = 'REVOKED' WHERE group_id = '$GID' AND member_id = '$FP_carol';"

step "2. the operator drops the last membership record, then reorders records"
save_db
LEN=$(sql "SELECT chain_length FROM groups_ WHERE id = '$GID'")
before_last=$(sql "SELECT token FROM membership WHERE group_id = '$GID' AND seq = $((LEN - 2))")
last=$(sql "SELECT token FROM membership WHERE group_id = '$GID' AND seq = $((LEN - 1))")
# As an attacker would: the group's head made consistent with the shortened chain.
tamper "DELETE FROM membership WHERE group_id = '$GID' AND seq = $((LEN - 1));
        UPDATE groups_ SET chain_length = $((LEN - 1)), chain_head = '$(record_hash "$before_last")' WHERE id = '$GID';"
refused 4 alice group suspend "$G" bob@example.com
has "$ERR" "the service's membership chain of group $G has $((LEN - 1)) records, but this agent verified $LEN: records were dropped (or the service restored an old state)"
say "dropped: $ERR"
restore_db
# The last two records swapped, the head pointing at the new last one.
tamper "UPDATE membership SET token = CASE seq WHEN $((LEN - 2)) THEN '$last' ELSE '$before_last' END
          WHERE group_id = '$GID' AND seq IN ($((LEN - 2)), $((LEN - 1)));
        UPDATE groups_ SET chain_head = '$(record_hash "$before_last")' WHERE id = '$GID';"
refused 4 alice group suspend "$G" bob@example.com
has "$ERR" "the service's membership chain of group $G has another record $((LEN - 1)) than the one this agent verified: the chain was forked"
say "reordered, to Alice: $ERR"
# Bob's agent never saw the chain: it verifies it from the genesis, and stops at the swap.
refused 4 bob group show "$G"
has "$ERR" "the service's membership chain of group $G serves record $((LEN - 1)) in the place of record $((LEN - 2)): records were dropped or reordered"
say "reordered, to Bob: $ERR"
restore_db
# The whole chain wiped, and Alice's agent has lost its copy of it: the agent still knows it
# started the chain, so this is records dropped, not a group from before chains to adopt.
mv "$WORK/alice/home/membership/${GID//-/}.json" "$WORK/alice-membership.json"
tamper "DELETE FROM membership WHERE group_id = '$GID'; UPDATE groups_ SET chain_length = 0, chain_head = '' WHERE id = '$GID';"
refused 4 alice group suspend "$G" bob@example.com
has "$ERR" "the service's membership chain of group $G is empty, but this agent started it: records were dropped"
say "wiped: $ERR"
mv "$WORK/alice-membership.json" "$WORK/alice/home/membership/${GID//-/}.json"
restore_db
ok alice group show "$G"
[ "$(sed -n '/without an administrator/p' <<<"$OUT")" = "" ] || die "unverified members after the repair: $OUT"
ok bob group show "$G"

step "the attacker's material: a profile for dave@example.com and a group $G, with keys of its own"
# Made on a service of the attacker's (another database behind the same address), so that
# both are validly self-signed and name the address the users know.
SERVICE_DB=$WORK/attacker.db restart_service
start_agent fake
ok fake personal dave@example.com --service "$PROXY_URL"
ok fake group create "$G"
FAKE_DAVE_ID=$(fingerprint fake)
FAKE_DAVE=$(sqlite3 -batch "$WORK/attacker.db" "SELECT token FROM profiles WHERE type = 'personal'")
FAKE_G=$(sqlite3 -batch "$WORK/attacker.db" "SELECT token FROM profiles WHERE type = 'group'")
FAKE_GID=$(sqlite3 -batch "$WORK/attacker.db" "SELECT id FROM profiles WHERE type = 'group'")
stop_agent fake
restart_service
[ -n "$FAKE_DAVE" ] && [ -n "$FAKE_G" ] || die "no attacker material"

step "3. the operator answers for Dave with another key, then swaps Bob's and Dave's profiles"
BOB_TOKEN=$(sql "SELECT token FROM profiles WHERE id = '$FP_bob'")
DAVE_TOKEN=$(sql "SELECT token FROM profiles WHERE id = '$FP_dave'")
save_db
tamper "UPDATE profiles SET token = '$FAKE_DAVE' WHERE id = '$FP_dave';"
refused 4 alice group add "$G" dave@example.com --fingerprint "$FP_dave"
has "$ERR" "the service answered profile $FAKE_DAVE_ID for dave@example.com, which does not match the fingerprint you gave ($FP_dave)"
say "another key for Dave: $ERR"
restore_db
tamper "UPDATE profiles SET token = CASE id WHEN '$FP_bob' THEN '$DAVE_TOKEN' ELSE '$BOB_TOKEN' END
          WHERE id IN ('$FP_bob', '$FP_dave');"
refused 4 alice group add "$G" dave@example.com --fingerprint "$FP_dave"
has "$ERR" "the service answered the profile of bob@example.com ($FP_bob) when asked for dave@example.com"
say "swapped, by account: $ERR"
refused 4 alice group rotate "$G"
has "$ERR" "the service answered profile $FP_dave when asked for $FP_bob"
say "swapped, by id (rotation): $ERR"
restore_db
! "$RECRYPT" --socket "$WORK/alice/run/agent.sock" known list | grep -q dave@example.com || die "a refused profile was pinned"
ok alice group add "$G" dave@example.com --fingerprint "$FP_dave"
printf 'doc3: Dave is in\n' >doc3.txt
ok alice encrypt -r "$G" doc3.txt
ok dave decrypt doc3.txt.jcd -o dave-doc3.txt
same_file doc3.txt dave-doc3.txt

step "4. the man in the middle rewrites answers"
start_proxy --mode phantom-member --member "$FP_mallory" --account mallory@example.com
ok alice group rotate "$G"
has "$ERR" "recrypt: not given the new key: mallory@example.com ($FP_mallory): the service lists this member, but no administrator's record adds them"
grep -q "GetGroup rewritten" proxy.log || die "the proxy did not rewrite GetGroup"
phantom=$ERR
printf 'doc4: after a rotation through the proxy\n' >doc4.txt
ok alice encrypt -r "$G" doc4.txt
refused 4 mallory decrypt doc4.txt.jcd -o mallory-doc4.txt
has "$ERR" "not a member of this group"
ok bob decrypt doc4.txt.jcd -o bob-doc4.txt
same_file doc4.txt bob-doc4.txt
say "a phantom in GetGroup: $phantom"

sql "SELECT token FROM profiles WHERE id = '$FP_mallory'" >mallory.profile
start_proxy --mode profile --account erin@example.com --token-file mallory.profile
refused 4 alice group add "$G" erin@example.com --fingerprint "$FP_erin"
has "$ERR" "the service answered the profile of mallory@example.com ($FP_mallory) when asked for erin@example.com"
grep -q "GetProfile rewritten" proxy.log || die "the proxy did not rewrite GetProfile"
say "Mallory's profile for Erin's account: $ERR"

start_proxy --mode hello-audience --audience https://evil.example.com
stop_agent alice   # an agent checks what a service calls itself once per address and run
start_agent alice
refused 7 alice group show "$G"
has "$ERR" "the service at $PROXY_URL calls itself https://evil.example.com, expected $PROXY_URL"
grep -q "Hello rewritten" proxy.log || die "the proxy did not rewrite Hello"
say "Hello rewritten: $ERR"

start_proxy --mode pass
ok alice group show "$G"
ok alice group add "$G" erin@example.com --fingerprint "$FP_erin"
ok erin decrypt doc4.txt.jcd -o erin-doc4.txt
same_file doc4.txt erin-doc4.txt
say "back to pass-through: Alice adds Erin, who reads doc4"

step "5. a sender pins the group; the operator then answers with another group"
printf 'from Dave\n' >from-dave.txt
ok dave encrypt -r "$G" -o from-dave.jcd from-dave.txt
ok dave known list
has "$OUT" "group  $G  $GID"
save_db
MGID=$(sql "SELECT id FROM profiles WHERE type = 'group' AND name = 'mallory-team@example.com'")
tamper "UPDATE profiles SET token = (SELECT token FROM profiles WHERE type = 'group' AND name = 'mallory-team@example.com')
          WHERE type = 'group' AND name = '$G';"
refused 4 dave encrypt -r "$G" -o squat1.jcd from-dave.txt
has "$ERR" "the service answered group mallory-team@example.com ($MGID) when asked for $G"
say "another group's profile: $ERR"
restore_db
tamper "UPDATE profiles SET token = '$FAKE_G' WHERE type = 'group' AND name = '$G';"
refused 4 dave encrypt -r "$G" -o squat2.jcd from-dave.txt
has "$ERR" "group $G now has fingerprint $FAKE_GID, but this agent pinned $GID when it first saw it: the service may be lying"
[ ! -e squat1.jcd ] && [ ! -e squat2.jcd ] || die "a refused encryption left a file"
say "a group of the same name, another key: $ERR"
restore_db
# A member who never pinned the group asks who is in it; the operator has given another group's
# row the name (and Erin a membership there), so that the answer's unsigned fields say $G.
! "$RECRYPT" --socket "$WORK/erin/run/agent.sock" known list | grep -q "$G" || die "Erin pinned $G already"
tamper "UPDATE groups_ SET name = 'renamed@example.com' WHERE id = '$GID';
        UPDATE groups_ SET name = '$G' WHERE id = '$MGID';
        INSERT INTO members(group_id, member_id, account, privileges, status)
          VALUES('$MGID', '$FP_erin', 'erin@example.com', 1, 'ACTIVE');"
refused 4 erin group show "$G"
has "$ERR" "the service answered group $G ($MGID) with the profile of group mallory-team@example.com ($MGID)"
! "$RECRYPT" --socket "$WORK/erin/run/agent.sock" known list | grep -q "$G" || die "Erin pinned $G to what was refused"
say "another group under this name, to a member: $ERR"
restore_db
ok erin group show "$G"
ok dave encrypt -r "$G" -o from-dave2.jcd from-dave.txt
ok bob decrypt from-dave2.jcd -o bob-from-dave.txt
same_file from-dave.txt bob-from-dave.txt

step "6. Dave really gets a new key: Alice accepts it deliberately (known forget)"
stop_agent dave
tamper "DELETE FROM profiles WHERE id = '$FP_dave';"  # the operator retires Dave's lost profile
start_agent dave2
ok dave2 personal dave@example.com --service "$PROXY_URL"
FP_dave2=$(fingerprint dave2)
ok alice group revoke "$G" dave@example.com
refused 4 alice group add "$G" dave@example.com --fingerprint "$FP_dave2"
has "$ERR" "account dave@example.com now has fingerprint $FP_dave2, but this agent pinned $FP_dave when it first saw it: the service may be lying. If dave@example.com really has a new key, confirm the new fingerprint out of band, then run \`recrypt known forget dave@example.com\` and try again"
say "$ERR"
ok alice known forget dave@example.com
ok alice group add "$G" dave@example.com --fingerprint "$FP_dave2"
printf 'doc5: for the new Dave\n' >doc5.txt
ok alice encrypt -r "$G" doc5.txt
ok dave2 decrypt doc5.txt.jcd -o dave2-doc5.txt
same_file doc5.txt dave2-doc5.txt
ok bob decrypt doc1.txt.jcd -o bob-doc1-end.txt
same_file doc1.txt bob-doc1-end.txt
say "the new Dave reads doc5; Bob still reads doc1"

step "done: every attack was refused, and the honest flow still works"
