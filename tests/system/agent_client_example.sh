#!/usr/bin/env bash
# examples/agent_client/decrypt.c, built against the installed recrypt-agent-client (EXAMPLE,
# from install.sh), with the installed binaries: it finds the agent where the CLI does
# ($RECRYPT_AGENT_SOCK), decrypts what `recrypt encrypt` wrote, encrypts what `recrypt
# decrypt` reads, and names the error when no agent runs.
here=$(cd "$(dirname "$0")" && pwd)
: "${EXAMPLE:?set EXAMPLE to the built example}"
source "$here/../cli/lib.sh"
cd "$WORK"

start_service
start_agent alice
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create notes@example.com
export RECRYPT_AGENT_SOCK="$WORK/alice/run/agent.sock"

printf 'read through the C library\n' >note.txt
ok alice encrypt -r notes@example.com note.txt --type text/plain
"$EXAMPLE" note.txt.jcd >note.out 2>info.json || die "the example did not decrypt: $(cat info.json)"
same_file note.txt note.out
grep -q '"name":"note.txt"' info.json || die "the example did not report the name: $(cat info.json)"
grep -q '"media_type":"text/plain"' info.json || die "no media type: $(cat info.json)"
echo "ok: the example decrypted what recrypt encrypted"

printf 'written through the C library\n' | "$EXAMPLE" -e notes@example.com >back.jcd ||
  die "the example did not encrypt"
ok alice decrypt back.jcd -o back.txt
[ "$(cat back.txt)" = 'written through the C library' ] || die "recrypt read: $(cat back.txt)"
echo "ok: recrypt decrypted what the example encrypted"

stop_agent alice
set +e
"$EXAMPLE" note.txt.jcd >/dev/null 2>err.txt
rc=$?
set -e
[ "$rc" = 1 ] || die "without an agent the example exited $rc"
grep -q "^recrypt-decrypt-example: unreachable: cannot reach recrypt-agent at $RECRYPT_AGENT_SOCK" err.txt ||
  die "without an agent the example said: $(cat err.txt)"
echo "ok: without an agent: $(cat err.txt)"
