#!/usr/bin/env bash
# age encrypts to a recrypt group through age-plugin-recrypt, and a member's age opens the file
# through the member's agent and the group's service (docs/AGE_PLUGIN.md). Needs Debian's
# `age` (1.1: plugins and -j); says 77 without it.
here=$(cd "$(dirname "$0")" && pwd)
command -v age >/dev/null && command -v age-keygen >/dev/null || { echo "no age: skipped"; exit 77; }
source "$here/lib.sh"
cd "$WORK"
PLUGIN="${PLUGIN:-$BUILD/ageplugin/age-plugin-recrypt}"
[ -x "$PLUGIN" ] || die "no $PLUGIN"
# age finds plugins on PATH by name.
mkdir -p bin && ln -s "$PLUGIN" bin/age-plugin-recrypt
export PATH="$WORK/bin:$PATH"

# age_as USER age-args...: age with USER's agent; status in $RC, stderr in $ERR.
age_as() {
  local user=$1; shift
  set +e
  RECRYPT_AGENT_SOCK="$WORK/$user/run/agent.sock" age "$@" 2>"$WORK/$user/age.err"
  RC=$?
  set -e
  ERR=$(cat "$WORK/$user/age.err")
}

start_service
for u in alice bob carol; do start_agent "$u"; ok "$u" personal "$u@example.com" --service "$SERVICE_URL"; done
ok alice group create team@example.com
ok alice group add team@example.com bob@example.com --fingerprint "$(fingerprint bob)"
ok alice group add team@example.com carol@example.com --fingerprint "$(fingerprint carol)"

step "the group's age recipient"
ok alice group export --age team@example.com
recipient=$OUT
[[ "$recipient" == age1recrypt1* ]] || die "not an age1recrypt1 recipient: $recipient"
# Bob, who does not administer the group, gets the same from the service's signed profile.
ok bob group export --age team@example.com
[ "$OUT" = "$recipient" ] || die "bob's export differs: $OUT"
say "$recipient"

step "age -r encrypts offline; age -d -j recrypt opens through the agent"
printf 'the quarterly figures\n' >doc.txt
# No agent at all on the sender's side.
RECRYPT_AGENT_SOCK=/nonexistent age -r "$recipient" -o doc.age doc.txt || die "age -r failed"
grep -qa '^-> recrypt ' doc.age || die "no recrypt stanza in the header"
age_as bob -d -j recrypt -o bob.txt doc.age
[ "$RC" = 0 ] || die "bob's age -d -j recrypt exited $RC: $ERR"
same_file doc.txt bob.txt
age_as carol -d -j recrypt -o carol.txt doc.age
[ "$RC" = 0 ] || die "carol's age -d exited $RC: $ERR"
same_file doc.txt carol.txt

step "with an identity file: age -d -i"
"$PLUGIN" --identity >identity.txt
grep -q '^AGE-PLUGIN-RECRYPT-1' identity.txt || die "no identity line: $(cat identity.txt)"
age_as bob -d -i identity.txt -o bob-i.txt doc.age
[ "$RC" = 0 ] || die "age -d -i exited $RC: $ERR"
same_file doc.txt bob-i.txt

step "a file to an X25519 key and the group opens with either"
age-keygen -o x25519.txt 2>/dev/null
x25519=$(age-keygen -y x25519.txt)
age -r "$x25519" -r "$recipient" -o both.age doc.txt || die "age to both failed"
age -d -i x25519.txt -o both-x.txt both.age || die "the X25519 key did not open it"
same_file doc.txt both-x.txt
age_as bob -d -j recrypt -o both-bob.txt both.age
[ "$RC" = 0 ] || die "the group did not open it: $ERR"
same_file doc.txt both-bob.txt

step "a revoked member's age fails with the service's reason"
ok alice group revoke team@example.com carol@example.com
age_as carol -d -j recrypt -o carol-again.txt doc.age
[ "$RC" != 0 ] || die "a revoked member opened the file"
grep -q "revoked" <<<"$ERR" || die "age's error does not give the service's reason: $ERR"
say "carol: $(tr '\n' ' ' <<<"$ERR")"
age_as bob -d -j recrypt -o bob-after.txt doc.age
[ "$RC" = 0 ] || die "bob, still a member, is refused: $ERR"

step "a non-member's age is refused by the service"
start_agent dave
ok dave personal dave@example.com --service "$SERVICE_URL"
age_as dave -d -j recrypt -o dave.txt doc.age
[ "$RC" != 0 ] && [ ! -s dave.txt ] || die "a non-member opened the file"
say "dave: $(tr '\n' ' ' <<<"$ERR")"

step "a corrupted stanza fails cleanly"
# The recrypt stanza's body line (24 bytes: 32 base64 characters) cut short.
python3 - doc.age bad.age <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
head, sep, rest = data.partition(b'\n---')
lines = head.split(b'\n')
for i, line in enumerate(lines):
    if line.startswith(b'-> recrypt '):
        lines[i + 1] = lines[i + 1][:20]
open(sys.argv[2], 'wb').write(b'\n'.join(lines) + sep + rest)
PY
age_as bob -d -j recrypt -o bad.txt bad.age
[ "$RC" != 0 ] || die "a corrupted stanza opened"
grep -q "recrypt stanza: a body of 15 bytes, not 24" <<<"$ERR" || die "corrupted stanza: $ERR"
[ ! -s bad.txt ] || die "a corrupted file left plaintext"

step "a recipient with a bad checksum is refused"
bad_recipient="${recipient%?}$( [ "${recipient: -1}" = q ] && echo p || echo q)"
set +e; age -r "$bad_recipient" -o nope.age doc.txt 2>err.txt; rc=$?; set -e
[ "$rc" != 0 ] || die "a bad recipient was accepted"
grep -qi "checksum" err.txt || die "bad recipient: $(cat err.txt)"

step "the plugin alone: help, and hostile input"
"$PLUGIN" --help | grep -q "age -d -j recrypt" || die "--help"
set +e
printf -- '-> add-recipient\n\n-> done\n\n' | "$PLUGIN" --age-plugin=recipient-v1 >/dev/null 2>err.txt; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "add-recipient takes one argument" err.txt || die "hostile client: $rc $(cat err.txt)"
set +e
head -c 100000 /dev/zero | tr '\0' 'A' | "$PLUGIN" --age-plugin=identity-v1 >/dev/null 2>err.txt; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "longer than 4096" err.txt || die "a long line: $rc $(cat err.txt)"
echo "age_plugin: ok"
