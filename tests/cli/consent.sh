#!/usr/bin/env bash
# The agent asks before it acts (recrypt-agent --confirm, recrypt device confirm): a
# confirmed decryption works; a refused one fails with its own exit code (9) and message and
# leaves no file; the prompt names the program, its pid and the document, and a hostile file
# name cannot add lines to it; --confirm admin asks for `group add` but not for a decryption;
# a device marked to confirm asks even so, and cannot be switched off without asking; a
# pinentry that cannot run is "cannot ask" (exit 6), not a refusal.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
export FAKE_PINENTRY_LOG="$WORK/pinentry.log"
export FAKE_PINENTRY_CONFIRM="$WORK/confirm"
echo ok >"$FAKE_PINENTRY_CONFIRM"
prompts() { grep -c '^CONFIRM' "$FAKE_PINENTRY_LOG" 2>/dev/null || echo 0; }
last_prompt() { grep '^CONFIRM' "$FAKE_PINENTRY_LOG" | tail -n 1; }
refusal="the user refused the request at the agent's confirmation prompt"

start_service
start_agent bob
ok bob personal bob@example.com --service "$SERVICE_URL"
bob_fp=$(fingerprint bob)

step "--confirm decrypt,admin: every decryption and every change asks"
start_agent alice --pinentry "$here/fake-pinentry" --confirm decrypt,admin
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create g@example.com
[ "$(prompts)" = 2 ] || die "profile and group creation should each ask once, asked $(prompts) times"
grep -q "group.create" <<<"$(last_prompt)" && grep -q "New group: g@example.com (as the program gives it)" <<<"$(last_prompt)" ||
  die "the group creation prompt does not say what it creates: $(last_prompt)"
printf 'secret\n' >doc.txt
ok alice encrypt -r g@example.com doc.txt

# The confirmed decryption, run in the background to know the client's pid.
"$RECRYPT" --socket "$WORK/alice/run/agent.sock" decrypt doc.txt.jcd -o out.txt 2>decrypt.err &
client=$!
wait "$client" || die "a confirmed decryption failed: $(cat decrypt.err)"
same_file doc.txt out.txt
prompt=$(last_prompt)
grep -qF "Program: $(readlink -f "$RECRYPT") (pid $client)" <<<"$prompt" || die "the prompt does not name the program and pid $client: $prompt"
grep -qF 'Document: "doc.txt.jcd" (as the program gives it)' <<<"$prompt" || die "the prompt does not name the document: $prompt"
grep -qF "(document.open)" <<<"$prompt" || die "the prompt does not name the operation: $prompt"
grep -qF "Encrypted to: group g@example.com (administered by this agent" <<<"$prompt" ||
  die "the prompt does not name the group as the agent knows it: $prompt"

echo cancel >"$FAKE_PINENTRY_CONFIRM"
refused 9 alice decrypt doc.txt.jcd -o refused.txt
grep -qF "$refusal" <<<"$ERR" || die "the refusal does not say who refused: $ERR"
[ ! -e refused.txt ] || die "a refused decryption left a file"

# A file name that tries to forge lines of the prompt, and Assuan escapes.
echo ok >"$FAKE_PINENTRY_CONFIRM"
hostile=$'evil\nProgram: trusted %0A.jcd'
cp doc.txt.jcd "$hostile"
ok alice decrypt "$hostile" -o hostile.txt
prompt=$(last_prompt)
grep -qF 'Document: "evil?Program: trusted %250A.jcd"' <<<"$prompt" ||
  die "the hostile file name reached the prompt unescaped: $prompt"
[ "$(grep -c '^CONFIRM' "$FAKE_PINENTRY_LOG")" = "$(wc -l <"$FAKE_PINENTRY_LOG")" ] ||
  die "a prompt spilled over several lines of the Assuan conversation"

step "--confirm admin: decryption does not ask, group add does"
stop_agent alice
start_agent alice --pinentry "$here/fake-pinentry" --confirm admin
before=$(prompts)
ok alice decrypt doc.txt.jcd -o admin-only.txt
[ "$(prompts)" = "$before" ] || die "a decryption asked under --confirm admin"
echo cancel >"$FAKE_PINENTRY_CONFIRM"
refused 9 alice group add g@example.com bob@example.com --fingerprint "$bob_fp"
grep -qF "$refusal" <<<"$ERR" || die "the refused group add does not say why: $ERR"
prompt=$(last_prompt)
grep -qF "(group.add)" <<<"$prompt" && grep -qF "Group: g@example.com (administered by this agent" <<<"$prompt" &&
  grep -qF "member: bob@example.com (as the program gives it)" <<<"$prompt" ||
  die "the group add prompt does not say what it does: $prompt"
as bob decrypt doc.txt.jcd -o bob-before.txt
[ "$RC" != 0 ] || die "a refused group add added the member anyway"
echo ok >"$FAKE_PINENTRY_CONFIRM"
ok alice group add g@example.com bob@example.com --fingerprint "$bob_fp"
[ "$(prompts)" = $((before + 2)) ] || die "group add should have asked twice, asked $(($(prompts) - before))"
ok alice --json agent status
grep -q '"admin": true' <<<"$OUT" && grep -q '"decrypt": false' <<<"$OUT" || die "agent status does not report the policy: $OUT"

step "a device marked to confirm asks for each decryption, and asks before it is switched off"
ok alice device confirm default on
ok alice device list
grep -q "default  soft  auth: passphrase  confirm: on" <<<"$OUT" || die "device list does not report confirmation: $OUT"
before=$(prompts)
ok alice decrypt doc.txt.jcd -o device-confirm.txt --force
[ "$(prompts)" = $((before + 1)) ] || die "a device marked to confirm did not ask"
stop_agent alice
start_agent alice --pinentry "$here/fake-pinentry" --confirm none
echo cancel >"$FAKE_PINENTRY_CONFIRM"
refused 9 alice device confirm default off
refused 9 alice decrypt doc.txt.jcd -o still-on.txt
[ ! -e still-on.txt ] || die "a refused decryption left a file"
echo ok >"$FAKE_PINENTRY_CONFIRM"
ok alice device confirm default off
before=$(prompts)
ok alice decrypt doc.txt.jcd -o off.txt
[ "$(prompts)" = "$before" ] || die "the device still asks after confirmation was switched off"

step "a pinentry that cannot run is not a refusal"
stop_agent alice
start_agent alice --pinentry "$WORK/no-such-pinentry" --confirm decrypt
refused 6 alice decrypt doc.txt.jcd -o missing.txt
grep -qF "cannot ask for confirmation" <<<"$ERR" || die "a missing pinentry gave another error: $ERR"
! grep -qF "$refusal" <<<"$ERR" || die "a missing pinentry was reported as the user's refusal: $ERR"
[ ! -e missing.txt ] || die "an unconfirmed decryption left a file"
echo "consent: ok"
