# Shared by the CLI scenario tests and the demo (scripts/scenario.sh): start a recryptd and
# one agent per user in temporary folders, run the real `recrypt` binary, check outcomes.
# Source it with BUILD set to the build tree. Everything is torn down on exit.

set -euo pipefail

: "${BUILD:?set BUILD to the build folder}"
RECRYPT="$BUILD/cli/recrypt"
AGENT="$BUILD/agent/recrypt-agent"
RECRYPTD="$BUILD/service/recryptd"
VERBOSE=${VERBOSE:-0}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/recrypt-test.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# Waits until a file has a line matching a pattern; prints that line.
wait_for_line() {
  local file=$1 pattern=$2 i
  for i in $(seq 1 200); do
    if grep -q "$pattern" "$file" 2>/dev/null; then grep -m1 "$pattern" "$file"; return 0; fi
    sleep 0.05
  done
  cat "$file" >&2 || true
  die "timed out waiting for '$pattern' in $file"
}

# start_service: starts recryptd on an ephemeral loopback port; sets SERVICE_URL, SERVICE_PID.
start_service() {
  local dir="$WORK/service"
  mkdir -p "$dir"
  "$RECRYPTD" --listen 127.0.0.1:0 --db "$dir/recryptd.db" >"$dir/out" 2>"$dir/log" &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
  local line port
  line=$(wait_for_line "$dir/out" "listening on")
  port=${line##*:}
  SERVICE_URL="http://127.0.0.1:$port"
}

stop_service() { kill "$SERVICE_PID" 2>/dev/null || true; wait "$SERVICE_PID" 2>/dev/null || true; }

# start_agent USER [extra agent options...]: a home, a socket and a passphrase file per user.
start_agent() {
  local user=$1; shift
  local dir="$WORK/$user"
  mkdir -p "$dir"
  [ -f "$dir/passphrase" ] || { printf '%s\n' "passphrase of $user" >"$dir/passphrase"; chmod 600 "$dir/passphrase"; }
  rm -f "$dir/agent.out"
  "$AGENT" --home "$dir/home" --socket "$dir/run/agent.sock" --passphrase-file "$dir/passphrase" "$@" \
    >"$dir/agent.out" 2>>"$dir/agent.log" &
  local pid=$!
  PIDS+=("$pid")
  eval "AGENT_PID_${user}=$pid"
  wait_for_line "$dir/agent.out" "listening on" >/dev/null
}

stop_agent() {
  local user=$1 var="AGENT_PID_$1"
  kill "${!var}" 2>/dev/null || true
  wait "${!var}" 2>/dev/null || true
}

# as USER recrypt-args...: runs the CLI against USER's agent; output in $OUT, status in $RC.
as() {
  local user=$1; shift
  set +e
  OUT=$("$RECRYPT" --socket "$WORK/$user/run/agent.sock" "$@" 2>"$WORK/$user/stderr")
  RC=$?
  set -e
  ERR=$(cat "$WORK/$user/stderr")
  [ "$VERBOSE" = 1 ] && printf '   %s$ recrypt %s   -> exit %s\n' "$user" "$*" "$RC"
  return 0
}

# ok USER args...: the command must succeed.
ok() {
  as "$@"
  [ "$RC" = 0 ] || die "recrypt ${*:2} (as $1) exited $RC: $ERR"
}

# refused CODE USER args...: the command must fail with exit code CODE.
refused() {
  local code=$1; shift
  as "$@"
  [ "$RC" = "$code" ] || die "recrypt ${*:2} (as $1) exited $RC, expected $code: $ERR"
}

same_file() { cmp -s "$1" "$2" || die "$1 and $2 differ"; }
