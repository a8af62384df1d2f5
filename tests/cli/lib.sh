# Shared by the CLI scenario tests and the demo (scripts/scenario.sh): start a recryptd and
# one agent per user in temporary folders, run the real `recrypt` binary, check outcomes.
# Source it with BUILD set to the build tree. Everything is torn down on exit.

set -euo pipefail

: "${BUILD:?set BUILD to the build folder}"
BUILD=$(cd "$BUILD" && pwd)   # the scripts cd into their work folder
RECRYPT="${RECRYPT:-$BUILD/cli/recrypt}"
AGENT="${AGENT:-$BUILD/agent/recrypt-agent}"
RECRYPTD="${RECRYPTD:-$BUILD/service/recryptd}"
VERBOSE=${VERBOSE:-0}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/recrypt-test.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  [ -z "${PG_DIR:-}" ] || stop_postgres
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

# start_service [recryptd options...]: starts recryptd on an ephemeral loopback port (or on
# $SERVICE_LISTEN) with the database $WORK/service/recryptd.db (or $SERVICE_DB: a file, or a
# PostgreSQL URI such as start_postgres's $PG_URL, with the service key $WORK/service.key that
# every recryptd of that store shares); its output in $WORK/service (or $SERVICE_DIR, one for
# each of several recryptd); sets SERVICE_URL, SERVICE_PID, and SERVICE_ARGS for
# restart_service.
start_service() {
  local dir="${SERVICE_DIR:-$WORK/service}"
  mkdir -p "$dir"
  SERVICE_ARGS=("$@")
  local db_args=(--db "${SERVICE_DB:-$dir/recryptd.db}")
  case "${SERVICE_DB:-}" in
    postgresql://* | postgres://*) db_args+=(--service-key "$WORK/service.key") ;;
  esac
  rm -f "$dir/out"  # a restart must not read the last run's "listening on"
  "$RECRYPTD" --listen "${SERVICE_LISTEN:-127.0.0.1:0}" "${db_args[@]}" "$@" >"$dir/out" 2>>"$dir/log" &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
  local line port
  line=$(wait_for_line "$dir/out" "listening on")
  port=${line##*:}
  SERVICE_URL="http://127.0.0.1:$port"
}

# forget_pid PID: a process stopped already is not the cleanup's to kill (its PID may be reused).
forget_pid() {
  local keep=() pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && [ "$pid" != "$1" ] && keep+=("$pid"); done
  PIDS=("${keep[@]}")
}

stop_service() { kill "$SERVICE_PID" 2>/dev/null || true; wait "$SERVICE_PID" 2>/dev/null || true; forget_pid "$SERVICE_PID"; }

# restart_service [recryptd options...]: stops recryptd and starts it again on the same port,
# so that the service URL the agents were configured with stays valid, with the options given
# or else the last ones. The database is the same too, unless SERVICE_DB says otherwise
# (SERVICE_DB=other.db restart_service).
restart_service() {
  stop_service
  [ $# -gt 0 ] || set -- "${SERVICE_ARGS[@]}"
  SERVICE_LISTEN="127.0.0.1:${SERVICE_URL##*:}" start_service "$@"
}

# start_postgres: a PostgreSQL cluster of the test's own, as the C++ tests start theirs
# (tests/service/postgres_server.cpp): initdb and pg_ctl in a folder under /tmp (a socket path
# has at most 107 bytes), a Unix socket only, run as the user postgres (else nobody) when root,
# since PostgreSQL refuses to run as root. Sets PG_DIR, and PG_URL to its database "recrypt".
# Stopped by stop_postgres, or on exit. Returns 77 when PostgreSQL is not installed.
start_postgres() {
  local bin
  bin=${RECRYPT_PG_BINDIR:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
  [ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/psql" ] || return 77
  PG_BIN=$bin
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then
    local user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    PG_AS=(setpriv "--reuid=$(id -u "$user")" "--regid=$(id -g "$user")" --clear-groups)
  fi
  PG_DIR=$(mktemp -d /tmp/rpg-XXXXXX)
  [ "${#PG_AS[@]}" = 0 ] || chown "${PG_AS[1]#--reuid=}:${PG_AS[2]#--regid=}" "$PG_DIR"
  "${PG_AS[@]}" env -i PATH=/usr/bin:/bin LC_ALL=C "$bin/initdb" -D "$PG_DIR/data" -U recrypt \
    --auth=trust -E UTF8 --no-sync --locale=C >"$WORK/postgres.log" 2>&1 ||
    die "initdb failed: $(cat "$WORK/postgres.log")"
  "${PG_AS[@]}" env -i PATH=/usr/bin:/bin LC_ALL=C "$bin/pg_ctl" -D "$PG_DIR/data" -w -t 30 \
    -l "$PG_DIR/server.log" -o "-c listen_addresses='' -k $PG_DIR -p 5432 -c fsync=off \
-c full_page_writes=off -c shared_buffers=16MB -c dynamic_shared_memory_type=mmap" start \
    >>"$WORK/postgres.log" 2>&1 || die "pg_ctl start failed: $(cat "$WORK/postgres.log")"
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "postgresql://recrypt@/postgres?host=$PG_DIR&port=5432" \
    -c "CREATE DATABASE recrypt" >>"$WORK/postgres.log" 2>&1 || die "CREATE DATABASE failed"
  PG_URL="postgresql://recrypt@/recrypt?host=$PG_DIR&port=5432"
}

# stop_postgres: stops start_postgres's cluster (fast shutdown) and removes its folder.
stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_AS[@]}" env -i PATH=/usr/bin:/bin LC_ALL=C "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w \
    -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}

# A free loopback TCP port P whose neighbour P+1 is free too (swtpm uses both).
free_port_pair() {
  python3 - <<'PYEOF'
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
    finally:
        a.close(); b.close()
PYEOF
}

# start_swtpm USER: a TPM of the user's own (state kept in the user's folder); sets TCTI_<user>.
start_swtpm() {
  local user=$1 dir="$WORK/$1/swtpm" port
  mkdir -p "$dir"
  port=$(free_port_pair)
  swtpm socket --tpm2 --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --tpmstate "dir=$dir" \
    --flags not-need-init,startup-clear >"$dir/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  eval "TCTI_${user}=swtpm:host=127.0.0.1,port=$port"
}

# softhsm_token USER LABEL: a SoftHSM2 token for the user, its PIN the user's passphrase.
softhsm_token() {
  local user=$1 label=$2 dir="$WORK/$1/softhsm"
  mkdir -p "$dir/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir/tokens" >"$dir/softhsm2.conf"
  SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" \
    --so-pin "so-$user" --pin "passphrase of $user" >/dev/null
}

# tpm2-pkcs11 (Debian's libtpm2-pkcs11-1), for tokens kept by a TPM.
TPM2_PKCS11_MODULE=${TPM2_PKCS11_MODULE:-/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so}

# tpm2_pkcs11_token USER LABEL: a tpm2-pkcs11 token on the user's own swtpm (started if the
# user has none), its store (sqlite) in the user's folder; user PIN the user's passphrase, SO
# PIN so-USER. Sets TPM2_PKCS11_STORE_<user>. tpm2_ptool runs tpm2-tools, which leave their
# objects loaded for a resource manager to evict; swtpm has none and room for three, so each
# tool runs through a wrapper that flushes the TPM's transient objects after it.
tpm2_pkcs11_token() {
  local user=$1 label=$2 dir="$WORK/$1/tpm2-pkcs11" var="TCTI_$1" tool real
  [ -n "${!var:-}" ] || start_swtpm "$user"
  mkdir -p "$dir/store" "$dir/bin"
  for tool in createprimary evictcontrol readpublic load loadexternal unseal encryptdecrypt create \
              getcap import changeauth sign; do
    real=$(command -v "tpm2_$tool") || die "tpm2_$tool is missing"
    printf '#!/bin/sh\n"%s" "$@"; rc=$?\ntpm2_flushcontext -t >/dev/null 2>&1\nexit $rc\n' "$real" >"$dir/bin/tpm2_$tool"
    chmod +x "$dir/bin/tpm2_$tool"
  done
  (
    export PATH="$dir/bin:$PATH" TPM2TOOLS_TCTI="${!var}"
    tpm2_ptool init --path "$dir/store"
    tpm2_ptool addtoken --pid 1 --label "$label" --userpin "passphrase of $user" --sopin "so-$user" --path "$dir/store"
  ) >"$dir/ptool.log" 2>&1 || { cat "$dir/ptool.log" >&2; die "tpm2_ptool could not make token $label"; }
  eval "TPM2_PKCS11_STORE_${user}=$dir/store"
}

# A PIV card (smartcard or YubiKey) for tests: tests/pkcs11/piv_card.sh makes a SoftHSM2 token
# with P-256 keys in slots 9d, 9a and 9c, and the test-only module piv_pkcs11 shows it with the
# rules of ykcs11 (PIV_FLAVOUR=ykcs11, the default) or of OpenSC's PIV driver (opensc).
PIV_MODULE=${PIV_MODULE:-$BUILD/tests/pkcs11/libpiv_pkcs11.so}
PIV_FLAVOUR=${PIV_FLAVOUR:-ykcs11}
source "$(dirname "${BASH_SOURCE[0]}")/../pkcs11/piv_card.sh"

# piv_token USER: the user's PIV card; its PIN (6 digits, as a PIV PIN has 6 to 8 characters)
# becomes the user's passphrase.
piv_token() {
  local user=$1
  mkdir -p "$WORK/$user"
  ( piv_card "$WORK/$user/softhsm" "$user" 246813 )
  printf '246813\n' >"$WORK/$user/passphrase"
  chmod 600 "$WORK/$user/passphrase"
}

# The token URI of a PIV card, as its owner would write it: by the model the module reports.
piv_token_uri() {
  case "$PIV_FLAVOUR" in
    ykcs11) echo "pkcs11:model=YubiKey%20YK5" ;;
    opensc) echo "pkcs11:model=PIV-II" ;;
    *) die "unknown PIV_FLAVOUR $PIV_FLAVOUR" ;;
  esac
}

# personal_key_args USER: what `recrypt personal` needs besides the account on USER's backend.
# A PIV card makes no keys for us: its slots' keys are adopted.
personal_key_args() {
  local var="BACKEND_$1"
  if [ "${!var:-${BACKEND:-soft}}" = piv ]; then echo "--encryption-key 9d --signing-key 9a --profile-key 9c"; fi
}

# private_p11_kit NAME=MODULE...: a p11-kit configuration under $WORK that lists these modules
# and no others (not the machine's tpm2-pkcs11 or OpenSC), for the commands run through
# with_private_p11_kit: p11-kit list-modules, and programs that load p11-kit-proxy.so.
private_p11_kit() {
  local dir="$WORK/p11-kit" pair
  mkdir -p "$dir/user/pkcs11/modules" "$dir/system/modules"
  printf 'user-config: only\n' >"$dir/user/pkcs11/pkcs11.conf"
  printf 'user-config: none\n' >"$dir/system/pkcs11.conf"
  for pair in "$@"; do printf 'module: %s\n' "${pair#*=}" >"$dir/user/pkcs11/modules/${pair%%=*}.module"; done
}

# with_private_p11_kit COMMAND...: runs COMMAND with the configuration private_p11_kit wrote.
# p11-kit reads the user's config from XDG_CONFIG_HOME, but not when running as root; as root
# the command runs in a mount namespace of its own where the system's module folders
# (pkg-config p11-kit-1: p11_module_configs, p11_system_config) are covered by ours.
with_private_p11_kit() {
  local dir="$WORK/p11-kit"
  [ -d "$dir" ] || die "with_private_p11_kit before private_p11_kit"
  if [ "$(id -u)" != 0 ]; then XDG_CONFIG_HOME="$dir/user" "$@"; return; fi
  unshare --mount --propagation private sh -c '
    if [ -d /usr/share/p11-kit/modules ]; then mount --bind "$1/user/pkcs11/modules" /usr/share/p11-kit/modules || exit 125; fi
    if [ -d /etc/pkcs11 ]; then mount --bind "$1/system" /etc/pkcs11 || exit 125; fi
    shift; exec "$@"' sh "$dir" "$@"
}

# start_agent USER [extra agent options...]: a home, a socket and a passphrase file per user.
# Nobody is there to answer a confirmation prompt, so the agent asks nothing (--confirm none)
# unless the options say otherwise.
# The user's keys live on BACKEND_<user>, else $BACKEND, else soft: for tpm the user gets a
# swtpm of its own, for pkcs11 a SoftHSM2 token (through $PKCS11_MODULE if set), for
# tpm2-pkcs11 a tpm2-pkcs11 token on the user's swtpm, for piv a PIV card (piv_token); the
# passphrase file also holds the PIN.
start_agent() {
  local user=$1; shift
  local dir="$WORK/$user"
  mkdir -p "$dir"
  [ -f "$dir/passphrase" ] || { printf '%s\n' "passphrase of $user" >"$dir/passphrase"; chmod 600 "$dir/passphrase"; }
  local var="BACKEND_$user" backend opts=()
  backend=${!var:-${BACKEND:-soft}}
  case "$backend" in
    tpm)
      local tcti="TCTI_$user"
      [ -n "${!tcti:-}" ] || start_swtpm "$user"
      opts=(--backend tpm --tpm-tcti "${!tcti}") ;;
    pkcs11)
      [ -f "$dir/softhsm/softhsm2.conf" ] || softhsm_token "$user" "$user"
      opts=(--backend pkcs11 --pkcs11-module "${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}" --pkcs11-token "pkcs11:token=$user") ;;
    tpm2-pkcs11)
      local store="TPM2_PKCS11_STORE_$user" tcti="TCTI_$user"
      [ -n "${!store:-}" ] || tpm2_pkcs11_token "$user" "$user"
      export TPM2_PKCS11_STORE="${!store}" TPM2_PKCS11_TCTI="${!tcti}"
      opts=(--backend pkcs11 --pkcs11-module "$TPM2_PKCS11_MODULE" --pkcs11-token "pkcs11:token=$user") ;;
    piv)
      [ -f "$PIV_MODULE" ] || die "no $PIV_MODULE (built with the pkcs11 tests)"
      [ -f "$dir/softhsm/softhsm2.conf" ] || piv_token "$user"
      export RECRYPT_PIV_FLAVOUR="$PIV_FLAVOUR"
      opts=(--backend pkcs11 --pkcs11-module "$PIV_MODULE" --pkcs11-token "$(piv_token_uri)") ;;
    soft) ;;
    *) die "unknown backend $backend" ;;
  esac
  [ -f "$dir/softhsm/softhsm2.conf" ] && export SOFTHSM2_CONF="$dir/softhsm/softhsm2.conf"
  local arg confirm=(--confirm none)
  for arg in "$@"; do
    if [ "$arg" = --confirm ]; then confirm=(); fi
  done
  rm -f "$dir/agent.out"
  "$AGENT" --home "$dir/home" --socket "$dir/run/agent.sock" --passphrase-file "$dir/passphrase" "${opts[@]}" "${confirm[@]}" "$@" \
    >"$dir/agent.out" 2>>"$dir/agent.log" &
  local pid=$!
  unset SOFTHSM2_CONF TPM2_PKCS11_STORE TPM2_PKCS11_TCTI
  PIDS+=("$pid")
  eval "AGENT_PID_${user}=$pid"
  wait_for_line "$dir/agent.out" "listening on" >/dev/null
}

stop_agent() {
  local user=$1 var="AGENT_PID_$1"
  kill "${!var}" 2>/dev/null || true
  wait "${!var}" 2>/dev/null || true
  forget_pid "${!var}"
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

# fingerprint USER: the user's profile fingerprint, as they read it out to an administrator.
fingerprint() {
  "$RECRYPT" --socket "$WORK/$1/run/agent.sock" profile show | awk '$1 == "fingerprint" { print $2 }'
}

same_file() { cmp -s "$1" "$2" || die "$1 and $2 differ"; }

# flip_byte FILE OFFSET: inverts every bit of the byte at OFFSET, in place. Writing a fixed
# value instead would leave a byte that already had it unchanged, one run in 256.
flip_byte() {
  python3 - "$1" "$2" <<'PY' || die "flip_byte $1 $2 failed"
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at)
    old = f.read(1)
    if len(old) != 1:
        sys.exit("%s has no byte at offset %d" % (path, at))
    f.seek(at)
    f.write(bytes([old[0] ^ 0xFF]))
PY
}

# alice_shares_with USER GROUP: agents and profiles for alice and USER (on USER's backend, its
# keys adopted where the backend makes none), alice's GROUP with USER in it, and doc.txt.jcd
# encrypted to it by alice.
alice_shares_with() {
  local user=$1 group=$2
  start_agent alice
  start_agent "$user"
  ok alice personal alice@example.com --service "$SERVICE_URL"
  # shellcheck disable=SC2046  # the key options are separate words
  ok "$user" personal "$user@example.com" --service "$SERVICE_URL" $(personal_key_args "$user")
  ok alice group create "$group"
  ok alice group add "$group" "$user@example.com" --fingerprint "$(fingerprint "$user")"
  printf 'for %s\n' "$user" >doc.txt
  ok alice encrypt -r "$group" doc.txt
}

# first_round_trip USER GROUP: USER creates GROUP, encrypts doc.txt to it and decrypts it back
# to out.txt, which must equal it: the opening of the tests that then try its keys' PINs.
first_round_trip() {
  ok "$1" group create "$2"
  printf 'x\n' >doc.txt
  ok "$1" encrypt -r "$2" doc.txt
  ok "$1" decrypt doc.txt.jcd -o out.txt
  same_file doc.txt out.txt
}
