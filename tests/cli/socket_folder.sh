#!/usr/bin/env bash
# Who may answer on the agent socket, decided by its folder: the CLI talks only through a
# real folder (not a symbolic link) of its user's, mode 0700, and says what is wrong and how
# to fix it otherwise; the agent makes its folder 0700 and will not use one that is unfit.
# Checks that need another uid are in socket_owner.sh.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
PY=$(command -v /usr/bin/python3 || command -v python3)

# fake DIR: a fake agent answering on DIR/agent.sock, logging to DIR.log.
fake() {
  local dir=$1
  "$PY" "$here/fake_agent.py" "$dir/agent.sock" "$dir.log" >"$dir.out" 2>&1 &
  PIDS+=($!)
  wait_for_line "$dir.out" listening >/dev/null
}
# cli SOCKET args...: the CLI on that socket; $OUT, $ERR, $RC.
cli() {
  local sock=$1; shift
  set +e
  OUT=$("$RECRYPT" --socket "$sock" "$@" 2>"$WORK/cli.err")
  RC=$?
  set -e
  ERR=$(cat "$WORK/cli.err")
}
has() { grep -qF -- "$2" <<<"$1" || die "expected \"$2\" in: $1"; }
untouched() { ! grep -q connected "$1.log" 2>/dev/null || die "the CLI connected through $1: $(cat "$1.log")"; }

step "a folder others may enter is refused before connecting"
mkdir -m 0755 "$WORK/open"
fake "$WORK/open"
cli "$WORK/open/agent.sock" agent status
[ "$RC" = 3 ] || die "exit $RC, expected 3: $ERR"
has "$ERR" "refusing the agent socket $WORK/open/agent.sock: the socket folder $WORK/open has mode 0755, so others may reach or replace the socket in it; chmod 0700 $WORK/open"
untouched "$WORK/open"
say "$ERR"

step "the same folder closed to others: the CLI talks to what answers there"
chmod 0700 "$WORK/open"
cli "$WORK/open/agent.sock" agent status
[ "$RC" = 0 ] || die "exit $RC with a 0700 folder: $ERR"
has "$OUT" "recrypt-agent fake"
grep -q 'request .*agent.status' "$WORK/open.log" || die "the fake got no request"

step "a folder reached through a symbolic link is refused"
mkdir -m 0700 "$WORK/real"
fake "$WORK/real"
ln -s "$WORK/real" "$WORK/link"
cli "$WORK/link/agent.sock" agent status
[ "$RC" = 3 ] || die "exit $RC, expected 3: $ERR"
has "$ERR" "refusing the agent socket $WORK/link/agent.sock: the socket folder $WORK/link is a symbolic link, which could lead to anyone's folder; remove the link (rm $WORK/link)"
untouched "$WORK/real"

step "encrypt -r asks nothing of an unfit folder either"
chmod 0750 "$WORK/real"
printf 'x\n' >doc.txt
cli "$WORK/real/agent.sock" encrypt -r g@example.com -o doc.jcd doc.txt
[ "$RC" = 3 ] || die "encrypt: exit $RC, expected 3: $ERR"
has "$ERR" "the socket folder $WORK/real has mode 0750"
[ ! -e doc.jcd ] || die "a refused encrypt left a file"
untouched "$WORK/real"

step "the agent refuses a folder others may enter, and a link"
set +e
"$AGENT" --home "$WORK/h" --socket "$WORK/real/agent2.sock" >/dev/null 2>agent.err; rc=$?
set -e
[ "$rc" = 1 ] || die "agent in a 0750 folder: exit $rc"
has "$(cat agent.err)" "recrypt-agent: the socket folder $WORK/real has mode 0750, so others may reach or replace the socket in it; chmod 0700 $WORK/real"
[ ! -e "$WORK/real/agent2.sock" ] || die "the agent made a socket in an open folder"
set +e
"$AGENT" --home "$WORK/h" --socket "$WORK/link/agent2.sock" >/dev/null 2>agent.err; rc=$?
set -e
[ "$rc" = 1 ] || die "agent behind a link: exit $rc"
has "$(cat agent.err)" "the socket folder $WORK/link is a symbolic link"

step "without XDG_RUNTIME_DIR the agent makes \${TMPDIR:-/tmp}/recrypt-UID, 0700, and the CLI finds it"
mkdir -m 0755 "$WORK/tmp"
fallback="$WORK/tmp/recrypt-$(id -u)"
fallback_env=(env -u XDG_RUNTIME_DIR -u RECRYPT_AGENT_SOCK TMPDIR="$WORK/tmp")
"${fallback_env[@]}" "$AGENT" --home "$WORK/h" >agent.out 2>>agent.log &
PIDS+=($!); fallback_pid=$!
wait_for_line agent.out "listening on $fallback/agent.sock" >/dev/null
[ "$(stat -c %a "$fallback")" = 700 ] || die "fallback folder has mode $(stat -c %a "$fallback")"
set +e
OUT=$("${fallback_env[@]}" "$RECRYPT" agent status 2>cli.err); RC=$?
set -e
[ "$RC" = 0 ] || die "the CLI did not find the agent in $fallback: $(cat cli.err)"
has "$OUT" "on $fallback/agent.sock"
kill "$fallback_pid"; wait "$fallback_pid" 2>/dev/null || true

step "a fallback folder planted as a link is refused by the agent and the CLI"
rm -rf "$fallback"
mkdir -m 0700 "$WORK/elsewhere"
ln -s "$WORK/elsewhere" "$fallback"
set +e
"${fallback_env[@]}" "$AGENT" --home "$WORK/h" >/dev/null 2>agent.err; rc=$?
set -e
[ "$rc" = 1 ] || die "agent with a linked fallback folder: exit $rc"
has "$(cat agent.err)" "the socket folder $fallback is a symbolic link"
[ -z "$(ls -A "$WORK/elsewhere")" ] || die "the agent wrote through the link: $(ls -A "$WORK/elsewhere")"
set +e
"${fallback_env[@]}" "$RECRYPT" agent status >/dev/null 2>cli.err; RC=$?
set -e
[ "$RC" = 3 ] || die "CLI with a linked fallback folder: exit $RC"
has "$(cat cli.err)" "the socket folder $fallback is a symbolic link"
echo "socket folder: ok"
