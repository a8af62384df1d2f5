#!/usr/bin/env bash
# The whole flow end to end on loopback with the real binaries: recryptd with SQLite,
# one recrypt-agent per user (soft keys), the recrypt CLI. Also the README's demo.
# Usage: BUILD=build tests/cli/scenario.sh   (VERBOSE=1 prints every command)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

step "start the recryption service and an agent for Alice, Bob and Carol"
start_service
say "recryptd on $SERVICE_URL, database $WORK/service/recryptd.db"
for user in alice bob carol; do start_agent "$user"; done
say "agents: $(ls -d "$WORK"/*/run/agent.sock | tr '\n' ' ')"

step "everyone creates a personal profile"
for user in alice bob carol; do
  # shellcheck disable=SC2046  # the key options are separate words
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL" $(personal_key_args "$user")
  say "$user: $(echo "$OUT" | tr '\n' ' ')"
done

step "Alice creates the group privatealice@example.com"
ok alice group create privatealice@example.com
say "$(echo "$OUT" | tr '\n' ' ')"

step "Alice encrypts test.txt to the group before anyone else is in it"
printf 'Quarterly numbers: confidential.\n' >test.txt
ok alice encrypt -r privatealice@example.com test.txt
say "$OUT ($(stat -c %s test.txt.jcd) bytes)"
head -c 15 test.txt.jcd | head -1 | sed 's/^/   first line: /'

step "Alice adds Bob and Carol, whose fingerprints they told her"
# Without a terminal to confirm on, the service's word for who bob@example.com is not enough.
refused 4 alice group add privatealice@example.com bob@example.com
grep -q "is not known to this agent yet" <<<"$ERR" || die "an unconfirmed account was not refused for its reason: $ERR"
say "without a fingerprint: $ERR"
ok alice group add privatealice@example.com bob@example.com --fingerprint "$(fingerprint bob)"
say "$OUT"
ok alice group add privatealice@example.com carol@example.com --fingerprint "$(fingerprint carol)"
say "$OUT"

step "Bob decrypts the document that was sent before he joined"
ok bob decrypt test.txt.jcd -o bob-test.txt
same_file test.txt bob-test.txt
say "Bob read: $(cat bob-test.txt)   [$OUT]"
# On a TPM or a token the share is imported into the hardware: x·T runs there. A PIV card has
# no unwrap: the share stays wrapped to the card's 9d key, and x·T runs in the agent.
bob_backend=${BACKEND_bob:-${BACKEND:-soft}}
case "$bob_backend" in
  soft) ;;
  piv) grep -q "wrapped share" <<<"$OUT" || die "Bob's PIV card should use the wrapped share: $OUT" ;;
  *) grep -q "resident share" <<<"$OUT" || die "Bob's $bob_backend should use a resident share: $OUT" ;;
esac
ok carol decrypt test.txt.jcd -o carol-test.txt
same_file test.txt carol-test.txt
say "Carol read it too"

step "Alice revokes Carol; Carol is refused"
ok alice group revoke privatealice@example.com carol@example.com
say "$OUT"
refused 4 carol decrypt test.txt.jcd -o carol-again.txt
[ ! -e carol-again.txt ] || die "a refused decryption left a file behind"
say "Carol: $ERR"

step "Alice rotates the group key; a new document is unreadable with Carol's old share"
ok alice group rotate privatealice@example.com
say "$OUT"
printf 'Next quarter: even more confidential.\n' >test2.txt
ok alice encrypt -r privatealice@example.com test2.txt
refused 4 carol decrypt test2.txt.jcd -o carol-test2.txt
say "Carol: $ERR"
ok bob decrypt test2.txt.jcd -o bob-test2.txt
same_file test2.txt bob-test2.txt
say "Bob read the new document: $(cat bob-test2.txt)"
ok bob decrypt test.txt.jcd -o bob-old.txt --force
same_file test.txt bob-old.txt
say "Bob still reads the document from before the rotation"

step "the group as the service sees it"
ok alice group show privatealice@example.com
printf '%s\n' "$OUT" | sed 's/^/   /'

step "done: every step behaved as expected"
