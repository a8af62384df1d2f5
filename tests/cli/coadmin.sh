#!/usr/bin/env bash
# Co-administrators and handover, end to end: Alice makes Bob an administrator of her group;
# with Alice's agent stopped, Bob adds, revokes and rotates on his own; Alice's agent, back,
# picks up Bob's new key; Alice hands the group over to Dave and can no longer administer it;
# a member that is no administrator gets no keys.
# Usage: BUILD=build tests/cli/coadmin.sh   (VERBOSE=1 prints every command)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
has() { grep -qF -- "$2" <<<"$1" || die "expected \"$2\" in: $1"; }
key_of() { sed -n 's/.*rotated to key \(.*\)$/\1/p' <<<"$1"; }

G=team@example.com
step "a service, and agents and profiles for Alice, Bob, Carol, Dave and Eve"
start_service
for user in alice bob carol dave eve; do
  start_agent "$user"
  # shellcheck disable=SC2046  # the key options are separate words
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL" $(personal_key_args "$user")
done

step "Alice creates $G, adds Eve as a plain member and makes Bob an administrator"
ok alice group create "$G"
ok alice group add "$G" eve@example.com --fingerprint "$(fingerprint eve)"
ok alice group admin add "$G" bob@example.com --fingerprint "$(fingerprint bob)"
say "$OUT"
has "$OUT" "bob@example.com administers $G (RECRYPT ADMIN)"

# The service holds Bob's keys in the form his device imports without them being in the clear
# on his host (a TPM duplication blob, a token-sealed blob), or a JWE for the soft store.
bob_backend=${BACKEND_bob:-${BACKEND:-soft}}
case "$bob_backend" in
  tpm) form=tpm2-duplicate-sealed-v1 ;;
  pkcs11) form=pkcs11-sealed-v1 ;;
  *) form=jwe ;;
esac
forms=$(python3 - "$WORK/service/recryptd.db" "$(fingerprint bob)" <<'PYEOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (keys,) in db.execute("SELECT admin_keys FROM member_keys WHERE member_id = ? AND admin_keys IS NOT NULL", (sys.argv[2],)):
    for package in json.loads(keys).values():
        for form in json.loads(package).values():
            print(json.loads(form)["format"])
PYEOF
)
[ -n "$forms" ] || die "the service holds no admin keys for Bob"
[ "$(sort -u <<<"$forms")" = "$form" ] || die "Bob's admin keys are not all $form: $forms"
say "the service holds Bob's group key and signing key as $form"

step "Alice's agent is stopped; Bob administers alone"
stop_agent alice
ok bob group add "$G" carol@example.com --fingerprint "$(fingerprint carol)"
say "$OUT"
ok bob group list
has "$OUT" "$G"
grep -q "\"backend\": \"$bob_backend\"" "$WORK"/bob/home/groups/*.json ||
  die "Bob's agent did not seal the group's keys to his $bob_backend device"
printf 'from Bob to the team\n' >doc1.txt
ok bob encrypt -r "$G" doc1.txt
ok carol decrypt doc1.txt.jcd -o carol1.txt
same_file doc1.txt carol1.txt
say "Carol read Bob's document"

step "Bob revokes Carol, who is refused, and rotates"
ok bob group revoke "$G" carol@example.com
refused 4 carol decrypt doc1.txt.jcd -o carol-again.txt
has "$ERR" "member is revoked"
say "Carol: $ERR"
ok bob group rotate "$G"
say "$OUT"
bob_key=$(key_of "$OUT")
[ -n "$bob_key" ] || die "no key in: $OUT"

step "Alice's agent, back, finds Bob's rotation and works with the new key"
start_agent alice
# Before any administering command: what Alice encrypts goes to Bob's new key, not to the one
# her agent last knew, which Carol had a share of.
printf 'first thing after coming back\n' >back.txt
ok alice encrypt -r "$G" back.txt
grep -q "\"kid\":\"$bob_key\"" back.txt.jcd || die "Alice encrypted to a key older than Bob's"
ok alice group add "$G" dave@example.com --fingerprint "$(fingerprint dave)"
ok alice --json group list
has "$OUT" "\"key_id\": \"$bob_key\""
printf 'from Alice after the rotation\n' >doc2.txt
ok alice encrypt -r "$G" doc2.txt
ok dave decrypt doc2.txt.jcd -o dave2.txt
same_file doc2.txt dave2.txt
ok alice group rotate "$G"
alice_key=$(key_of "$OUT")
say "Alice rotated again: $alice_key"
# Any administering command brings Bob's agent up to Alice's key.
ok bob group resplit "$G" dave@example.com
ok bob --json group list
has "$OUT" "\"key_id\": \"$alice_key\""
printf 'after the second rotation\n' >doc3.txt
ok bob encrypt -r "$G" doc3.txt
ok dave decrypt doc3.txt.jcd -o dave3.txt
same_file doc3.txt dave3.txt
say "Bob picked up Alice's key in turn; Dave reads under it"

step "Alice hands the group over to Dave, staying a member"
ok alice group handover "$G" dave@example.com --stay-member
say "$OUT"
ok alice --json group list
[ "$(tr -d " \n" <<<"$OUT")" = "[]" ] || die "Alice's agent still holds the group: $OUT"
refused 4 alice group revoke "$G" bob@example.com
has "$ERR" "alice@example.com is not an administrator of group $G (by its membership chain)"
say "Alice: $ERR"
ok alice decrypt doc3.txt.jcd -o alice3.txt
same_file doc3.txt alice3.txt
say "Alice still reads, as a member"
ok dave group admin remove "$G" bob@example.com
has "$ERR" "rotate it"
refused 4 bob group rotate "$G"
has "$ERR" "bob@example.com is not an administrator of group $G (by its membership chain)"
ok dave group rotate "$G"
say "Dave removed Bob and rotated"

step "a member that is no administrator gets no keys"
refused 4 eve group add "$G" carol@example.com --fingerprint "$(fingerprint carol)"
has "$ERR" "eve@example.com is not an administrator of group $G (by its membership chain)"
say "Eve: $ERR"

step "done: every step behaved as expected"
