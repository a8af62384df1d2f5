#!/usr/bin/env bash
# Who an account or a group name means is the user's to confirm, not the service's to say:
# adding an account the first time shows its fingerprint and asks on a terminal (refuses
# without one), and the answer is pinned; a sender pins a group's name on first use.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

start_service
for u in alice bob dave; do start_agent "$u"; ok "$u" personal "$u@example.com" --service "$SERVICE_URL"; done
ok alice group create team@example.com
bob_id=$(fingerprint bob)

# on_terminal USER ANSWER args...: runs the CLI in a pseudo-terminal, typing ANSWER.
on_terminal() {
  local user=$1 answer=$2; shift 2
  local cmd
  printf -v cmd '%q ' "$RECRYPT" --socket "$WORK/$user/run/agent.sock" "$@"
  set +e
  OUT=$(printf '%s\n' "$answer" | timeout 20 script -qec "$cmd" /dev/null 2>&1)
  RC=$?
  set -e
}

step "on a terminal, the administrator sees the fingerprint and may say no"
on_terminal alice n group add team@example.com bob@example.com
[ "$RC" = 4 ] || die "declining exited $RC: $OUT"
grep -q "$bob_id" <<<"$OUT" || die "the prompt did not show bob's fingerprint: $OUT"
grep -q "not added: the fingerprint was not confirmed" <<<"$OUT" || die "declining gave no reason: $OUT"
ok alice known list
! grep -q bob@example.com <<<"$OUT" || die "a declined account was pinned: $OUT"

step "saying yes adds bob and pins his fingerprint"
on_terminal alice y group add team@example.com bob@example.com
[ "$RC" = 0 ] || die "confirming exited $RC: $OUT"
grep -q "added bob@example.com ($bob_id)" <<<"$OUT" || die "bob was not added: $OUT"
ok alice known list
grep -q "account  bob@example.com  $bob_id" <<<"$OUT" || die "bob is not pinned: $OUT"
ok alice known list
say "$OUT"

step "a fingerprint that is not bob's is refused, and says so"
ok alice group create other@example.com
refused 4 alice group add other@example.com bob@example.com --fingerprint "$(fingerprint dave)"
grep -q "does not match the fingerprint you gave" <<<"$ERR" || die "wrong fingerprint refused for another reason: $ERR"
# Pinned now, bob needs no fingerprint for the next group.
ok alice group add other@example.com bob@example.com

step "a sender pins a group's name the first time it encrypts to it"
printf 'hello\n' >doc.txt
ok alice group list
team_id=$(awk '$1 == "team@example.com" { print $2 }' <<<"$OUT")
ok dave encrypt -r team@example.com doc.txt
ok dave known list
grep -q "group  team@example.com  $team_id" <<<"$OUT" || die "the group was not pinned to $team_id: $OUT"
ok bob decrypt doc.txt.jcd -o bob.txt
same_file doc.txt bob.txt
ok dave known forget team@example.com
ok dave known list
! grep -q team@example.com <<<"$OUT" || die "forget left the pin: $OUT"
refused 1 dave known forget team@example.com
grep -q "no profile is pinned under the name team@example.com" <<<"$ERR" || die "forgetting nothing: $ERR"
step "done"
