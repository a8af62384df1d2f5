#!/usr/bin/env bash
# A service address that lists several instances of one service: the first URL is down (a
# closed port), the second is a live recryptd run with --audience set to the first URL, as
# every instance of a listed service is. Users publish, administer and decrypt through the
# list; a list with an empty entry is refused by its words; with no instance left, a change
# fails with the service's words and exit code 7.
# Usage: BUILD=build tests/cli/failover.sh   (VERBOSE=1, KEEP_WORK=1)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

DEAD_URL="http://127.0.0.1:$(free_port_pair)"

step "recryptd answers for $DEAD_URL; the users' address lists that dead URL first"
start_service --audience "$DEAD_URL"
LIST="$DEAD_URL,$SERVICE_URL"
start_agent alice
start_agent bob
refused 7 alice personal alice@example.com --service "$LIST,"
case "$ERR" in
  *"a list of service URLs has an empty entry (separate them by commas, no spaces)"*) ;;
  *) die "an empty entry was refused for another reason: $ERR" ;;
esac
for u in alice bob; do ok "$u" personal "$u@example.com" --service "$LIST"; done
ok alice doctor
case "$OUT" in *"answers Hello"*) ;; *) die "doctor did not reach the service: $OUT" ;; esac

step "a group, a member and a document, all through the list"
ok alice group create friends@example.com
ok alice group add friends@example.com bob@example.com --fingerprint "$(fingerprint bob)"
printf 'through the second instance\n' >doc.txt
ok alice encrypt -r friends@example.com doc.txt
ok bob decrypt doc.txt.jcd -o bob.txt
same_file doc.txt bob.txt
say "Bob decrypts through the live instance"

step "no instance left: a change fails with the service's words"
stop_service
refused 7 alice group suspend friends@example.com bob@example.com
case "$ERR" in
  *"recryption service unreachable: connecting to 127.0.0.1:"*) ;;
  *) die "an unreachable service was reported otherwise: $ERR" ;;
esac
say "exit 7: $ERR"
