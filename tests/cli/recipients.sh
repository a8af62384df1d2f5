#!/usr/bin/env bash
# Any-of and all-of documents, encryption offline from an exported group profile, and -r
# for names, -R for files.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

start_service
for u in alice bob carol dave; do start_agent "$u"; ok "$u" personal "$u@example.com" --service "$SERVICE_URL"; done
ok alice group create accounting@example.com
ok alice group create executive@example.com
# The first time Alice adds an account she gives its fingerprint; after that it is pinned.
ok alice group add accounting@example.com bob@example.com --fingerprint "$(fingerprint bob)"  # Bob: both
ok alice group add executive@example.com bob@example.com
ok alice group add accounting@example.com carol@example.com --fingerprint "$(fingerprint carol)"  # Carol: accounting
ok alice group add executive@example.com dave@example.com --fingerprint "$(fingerprint dave)"  # Dave: executive

printf 'budget\n' >doc.txt
ok alice encrypt -r accounting@example.com -r executive@example.com -o anyof.jcd doc.txt
for u in bob carol dave; do ok "$u" decrypt anyof.jcd -o "$u-anyof.txt"; same_file doc.txt "$u-anyof.txt"; done

ok alice encrypt --all-of accounting@example.com,executive@example.com -o allof.jcd doc.txt
ok bob decrypt allof.jcd -o bob-allof.txt
same_file doc.txt bob-allof.txt
refused 4 carol decrypt allof.jcd -o carol-allof.txt
refused 4 dave decrypt allof.jcd -o dave-allof.txt
[ ! -e carol-allof.txt ] && [ ! -e dave-allof.txt ] || die "refused decryptions left files"

# A sender who administers nothing gets the group's signed profile from the service, by name
# or by fingerprint.
ok dave encrypt -r accounting@example.com -o from-dave.jcd doc.txt
ok carol decrypt from-dave.jcd -o carol-from-dave.txt
same_file doc.txt carol-from-dave.txt
group_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$("$RECRYPT" --socket "$WORK/alice/run/agent.sock" --json group list | python3 -c 'import json,sys; print(json.dumps([g for g in json.load(sys.stdin) if g["name"]=="accounting@example.com"][0]))')")
ok dave encrypt -r "$group_id" -o by-id.jcd doc.txt
ok bob decrypt by-id.jcd -o bob-by-id.txt
same_file doc.txt bob-by-id.txt

# -r names a group, never a file: a file planted in the current folder under a group's name
# (here executive's genuine profile, saved as accounting@example.com) is not read. Had it
# been, Dave, who is in executive only, could read what Carol meant for accounting.
ok alice group export executive@example.com -o accounting@example.com
ok carol encrypt -r accounting@example.com -o planted.jcd doc.txt
ok bob decrypt planted.jcd -o bob-planted.txt
refused 4 dave decrypt planted.jcd -o dave-planted.txt
[ ! -e dave-planted.txt ] || die "a refused decryption left a file"
# -R takes files only: the same name is read as the file it is, and a group name is no file.
ok carol encrypt -R accounting@example.com -o planted-file.jcd doc.txt
ok dave decrypt planted-file.jcd -o dave-planted-file.txt
refused 1 carol encrypt -R executive@example.com -o no-file.jcd doc.txt
grep -q "cannot open executive@example.com" <<<"$ERR" || die "-R with a group name: $ERR"
rm accounting@example.com

# Offline: the exported, self-signed group profile is all a sender needs; no agent at all.
ok alice group export accounting@example.com -o accounting.group
"$RECRYPT" --socket /nonexistent encrypt -R accounting.group -o offline.jcd doc.txt || die "offline encrypt failed"
ok carol decrypt offline.jcd -o carol-offline.txt
same_file doc.txt carol-offline.txt

# A tampered profile is refused before anything is encrypted.
sed 's/\(.\{40\}\)./\1A/' accounting.group >tampered.group
set +e; "$RECRYPT" --socket /nonexistent encrypt -R tampered.group -o bad.jcd doc.txt 2>/dev/null; rc=$?; set -e
[ "$rc" = 5 ] || die "tampered recipient file: exit $rc, expected 5"
[ ! -e bad.jcd ] || die "tampered recipient left an output"

# stdin to stdout
printf 'streamed\n' | "$RECRYPT" --socket "$WORK/alice/run/agent.sock" encrypt -r accounting@example.com >piped.jcd
"$RECRYPT" --socket "$WORK/bob/run/agent.sock" decrypt <piped.jcd >piped.txt
[ "$(cat piped.txt)" = streamed ] || die "stdin/stdout round trip"
echo "recipients: ok"
