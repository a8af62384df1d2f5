#!/usr/bin/env bash
# The agent socket against another user (needs root, to be that other user: skipped with 77
# otherwise). A fallback socket folder another user made first, in the shared temporary
# folder, is refused by the agent and by the CLI; a listener running under another uid, even
# in a folder that passes every check, is refused by the CLI, which names that uid.
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
  echo "skipped: needs root and a user nobody"
  exit 77
fi
source "$here/lib.sh"
cd "$WORK"
PY=$(command -v /usr/bin/python3 || command -v python3)
nobody=$(id -u nobody)
has() { grep -qF -- "$2" <<<"$1" || die "expected \"$2\" in: $1"; }

step "a squatted fallback folder: another user's recrypt-UID in \$TMPDIR"
mkdir -m 0755 "$WORK/tmp"
squat="$WORK/tmp/recrypt-0"
mkdir -m 0700 "$squat"
chown nobody "$squat"
fallback_env=(env -u XDG_RUNTIME_DIR -u RECRYPT_AGENT_SOCK TMPDIR="$WORK/tmp")
set +e
"${fallback_env[@]}" "$AGENT" --home "$WORK/h" >/dev/null 2>agent.err; rc=$?
set -e
[ "$rc" = 1 ] || die "the agent used a folder of uid $nobody: exit $rc"
has "$(cat agent.err)" "recrypt-agent: the socket folder $squat belongs to uid $nobody, not to you (uid 0), so that user could answer as your agent"
[ -z "$(ls -A "$squat")" ] || die "the agent wrote into the squatted folder: $(ls -A "$squat")"
set +e
"${fallback_env[@]}" "$RECRYPT" agent status >/dev/null 2>cli.err; rc=$?
set -e
[ "$rc" = 3 ] || die "the CLI used a folder of uid $nobody: exit $rc"
has "$(cat cli.err)" "refusing the agent socket $squat/agent.sock: the socket folder $squat belongs to uid $nobody, not to you (uid 0)"

step "a listener of another uid in a folder of ours"
mkdir -m 0700 "$WORK/run"
"$PY" "$here/fake_agent.py" "$WORK/run/agent.sock" "$WORK/run.log" nobody >run.out 2>&1 &
PIDS+=($!)
wait_for_line run.out listening >/dev/null
set +e
"$RECRYPT" --socket "$WORK/run/agent.sock" agent status >/dev/null 2>cli.err; rc=$?
set -e
[ "$rc" = 3 ] || die "the CLI talked to a process of uid $nobody: exit $rc"
has "$(cat cli.err)" "refusing the agent socket $WORK/run/agent.sock: the process answering on it"
has "$(cat cli.err)" "runs as uid $nobody, not as you (uid 0)"
# It connected (that is how it learned the uid) and then sent nothing.
grep -q connected "$WORK/run.log" || die "the CLI never connected"
! grep -q request "$WORK/run.log" || die "the CLI sent a request to uid $nobody: $(cat "$WORK/run.log")"
echo "socket owner: ok"
