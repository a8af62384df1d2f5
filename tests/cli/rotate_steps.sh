#!/usr/bin/env bash
# A rotation in steps from the CLI: with --page 1 every member's entry goes in a request of its
# own (BeginRotation, AddRotationEntries, CommitRotation), members read documents sent before
# and after it, and a member revoked before the next one is left out of it. A group that fits
# one page rotates in one RotateGroupKey.
# Requests are counted in recryptd's request log.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

# count TYPE: the requests of that transaction in the service's request log so far.
count() { grep -c "\"type\":\"$1\"" "$WORK/service/log" || true; }
# members GROUP: how many members the group's administrator sees that are not revoked.
members() {
  ok alice group show "$1"
  grep -c -E "ACTIVE|SUSPENDED" <<<"$OUT" || true
}

step "Alice's group with Bob and Carol; a document sent before the rotation"
start_service
for user in alice bob carol; do
  start_agent "$user"
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL"
done
G=team@example.com
ok alice group create "$G"
for user in bob carol; do
  ok alice group add "$G" "$user@example.com" --fingerprint "$(fingerprint "$user")"
done
printf 'before the rotation\n' >old.txt
ok alice encrypt -r "$G" old.txt

step "A page of one entry: the rotation goes in steps"
n=$(members "$G")
[ "$n" -ge 3 ] || die "expected at least Bob, Carol and Alice in the group, saw $n: $OUT"
begun=$(count BeginRotation) pages=$(count AddRotationEntries) committed=$(count CommitRotation)
whole=$(count RotateGroupKey)
ok alice group rotate "$G" --page 1
[ "$(count BeginRotation)" = $((begun + 1)) ] || die "expected one BeginRotation"
[ "$(count AddRotationEntries)" = $((pages + n)) ] ||
  die "expected $n AddRotationEntries, one per member, saw $(($(count AddRotationEntries) - pages))"
[ "$(count CommitRotation)" = $((committed + 1)) ] || die "expected one CommitRotation"
[ "$(count RotateGroupKey)" = "$whole" ] || die "the rotation also sent a whole RotateGroupKey"
say "$n members in $n pages"

step "Both documents open for both members"
printf 'after the rotation\n' >new.txt
ok alice encrypt -r "$G" new.txt
for user in bob carol; do
  for doc in old new; do
    ok "$user" decrypt "$doc.txt.jcd" -o "$user-$doc.txt"
    same_file "$doc.txt" "$user-$doc.txt"
  done
done

step "Carol revoked; the next rotation in steps leaves her out"
ok alice group revoke "$G" carol@example.com
n=$(members "$G")
pages=$(count AddRotationEntries)
ok alice group rotate "$G" --page 1
[ "$(count AddRotationEntries)" = $((pages + n)) ] || die "expected $n pages for $n members"
whole=$(count RotateGroupKey)
ok alice group rotate "$G" --page "$n"
[ "$(count RotateGroupKey)" = $((whole + 1)) ] ||
  die "a group of $n members with pages of $n did not rotate in one request"
printf 'after Carol left\n' >later.txt
ok alice encrypt -r "$G" later.txt
ok bob decrypt later.txt.jcd -o bob-later.txt
same_file later.txt bob-later.txt
refused 4 carol decrypt later.txt.jcd -o carol-later.txt
grep -q "member is revoked" <<<"$ERR" || die "Carol was refused for another reason: $ERR"

step "A page size outside 1 to 1000 is refused, by the CLI and by the agent"
refused 2 alice group rotate "$G" --page 0
grep -q -- "--page" <<<"$ERR" || die "the refusal does not name --page: $ERR"
set +e
answer=$(python3 "$here/agent_client.py" "$WORK/alice/run/agent.sock" group.rotate \
  "{\"group\":\"$G\",\"page\":5000}" 2>&1)
set -e
grep -q "page must be a whole number from 1 to 1000" <<<"$answer" ||
  die "the agent did not refuse page 5000 for its size: $answer"
say "rotations in steps: pages counted, documents open, the revoked left out"
