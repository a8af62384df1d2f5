#!/usr/bin/env bash
# A small .jcd goes to the agent whole (document.open's "jcd" form) and comes back as its
# content: the payload key never leaves the agent, and a small document fails exactly as a
# large one does (the same exit code and text), whether altered, cut or trailed by data.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

# call METHOD JSON: the agent's answer, or its error on stdout (exit status kept in RC).
call() {
  set +e
  ANSWER=$(python3 "$here/agent_client.py" "$WORK/bob/run/agent.sock" "$1" "$2" 2>&1)
  RC=$?
  set -e
}
b64url() { python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(open(sys.argv[1],"rb").read()).rstrip(b"=").decode())' "$1"; }

step "Bob in Alice's group; a small document and one just past the limit"
start_service
alice_shares_with bob g@example.com
head -c 3000 /dev/urandom >small.bin
ok alice encrypt -r g@example.com small.bin
head -c $((64 * 1024)) /dev/urandom >large.bin
ok alice encrypt -r g@example.com large.bin
[ "$(stat -c %s large.bin.jcd)" -gt $((64 * 1024)) ] || die "large.bin.jcd is not past 64 KiB"

step "The whole form answers the content, never the payload key"
call document.open "{\"jcd\":\"$(b64url small.bin.jcd)\",\"name\":\"small.bin.jcd\"}"
[ "$RC" = 0 ] || die "document.open with the whole document: $ANSWER"
python3 - small.bin "$ANSWER" <<'PYEOF' || die "the answer is not the document's content"
import base64, json, sys
answer = json.loads(sys.argv[2])
assert "plaintext" not in answer, "the payload key left the agent"
content = base64.urlsafe_b64decode(answer["content"] + "=" * (-len(answer["content"]) % 4))
assert content == open(sys.argv[1], "rb").read()
assert answer["name"] == "small.bin" and answer["via"]
PYEOF
ok bob decrypt small.bin.jcd -o bob-small.bin
same_file small.bin bob-small.bin
ok bob decrypt large.bin.jcd -o bob-large.bin
same_file large.bin bob-large.bin
say "small and large documents open"

step "The agent refuses both forms at once, and a whole document past 64 KiB"
call document.open "{\"jcd\":\"$(b64url small.bin.jcd)\",\"envelope\":\"{}\"}"
grep -q "give the document's envelope or the whole document, not both" <<<"$ANSWER" ||
  die "both forms at once: $ANSWER"
call document.open "{\"jcd\":\"$(b64url large.bin.jcd)\"}"
grep -q "a whole document is taken up to 64 KiB: send its envelope instead" <<<"$ANSWER" ||
  die "a whole document past the limit: $ANSWER"

step "A small document fails as when it is read as a stream: altered, cut, trailed"
# From a file of up to 64 KiB the CLI sends the document whole; from stdin it reads it as a
# stream itself. Both must give the same exit code and the same text.
header=$(head -n 2 small.bin.jcd | wc -c)
cp small.bin.jcd altered.jcd
flip_byte altered.jcd $((header + 100))
head -c $((header + 2000)) small.bin.jcd >cut-payload.jcd
head -c $((header - 40)) small.bin.jcd >cut-header.jcd
head -n 1 small.bin.jcd >magic-only.jcd
{ cat small.bin.jcd; printf 'more'; } >trailed.jcd
printf 'recrypt.jcd/v2\n' >other-version.jcd
for doc in altered cut-payload cut-header magic-only trailed other-version; do
  refused 5 bob decrypt "$doc.jcd" -o "$doc.out"
  whole="$ERR"
  refused 5 bob decrypt - -o "$doc.stream.out" <"$doc.jcd"
  [ "$whole" = "$ERR" ] || die "$doc: whole \"$whole\", as a stream \"$ERR\""
  [ ! -e "$doc.out" ] && [ ! -e "$doc.stream.out" ] || die "a failed decryption left output"
  say "$doc: $whole"
done
as bob decrypt altered.jcd -o x.out
grep -q "\.jcd segment 0 does not authenticate (the file was altered)" <<<"$ERR" ||
  die "the altered document's reason: $ERR"
