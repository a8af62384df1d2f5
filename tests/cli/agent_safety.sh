#!/usr/bin/env bash
# The agent under misuse: another uid, malformed and oversized messages, a second agent on
# the same socket, a wrong passphrase, a restart (keys kept), the service going away.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
# Debian's python, not a per-user one: the other-uid check runs it as nobody.
PY=$(command -v /usr/bin/python3 || command -v python3)
CLIENT="$WORK/agent_client.py"
cp "$here/agent_client.py" "$CLIENT"
chmod 644 "$CLIENT"

start_service
start_agent alice
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create g@example.com
printf 'secret\n' >doc.txt
ok alice encrypt -r g@example.com doc.txt
SOCK="$WORK/alice/run/agent.sock"

# Other programs can use the socket: twenty lines of Python.
# (Output captured first: grep -q closing a pipe early would fail the pipeline.)
hello=$($PY "$CLIENT" "$SOCK" agent.hello) || die "python client: hello failed"
grep -q '"protocol": 1' <<<"$hello" || die "python client: hello answered $hello"
methods=$($PY "$CLIENT" "$SOCK" agent.methods) || die "python client: methods failed"
grep -q document.open <<<"$methods" || die "python client: methods answered $methods"

# Permissions: folder 0700, socket 0600.
[ "$(stat -c %a "$WORK/alice/run")" = 700 ] || die "socket folder is not 0700"
[ "$(stat -c %a "$SOCK")" = 600 ] || die "socket is not 0600"

# Another uid: even with the folder and socket opened up, the agent checks the peer's uid.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod 755 "$WORK" "$WORK/alice" "$WORK/alice/run"; chmod 777 "$SOCK"
  set +e
  setpriv --reuid=nobody --regid=nogroup --clear-groups $PY "$CLIENT" "$SOCK" agent.hello >nobody.out 2>&1
  rc=$?
  set -e
  [ "$rc" != 0 ] || die "a client of another uid was answered: $(cat nobody.out)"
  grep -q "refused a connection from uid $(id -u nobody)" "$WORK/alice/agent.log" || die "refusal not logged"
  chmod 700 "$WORK/alice/run"; chmod 600 "$SOCK"
else
  echo "skipping the other-uid check: needs root and setpriv"
fi

# Malformed, oversized and binary messages: error answers, and the agent stays up.
$PY - "$SOCK" <<'PYEOF'
import socket, sys, json
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
s = conn(); f = s.makefile("rb")
for bad in [b"{", b"[]", b'{"jsonrpc":"2.0","id":1}', b'{"jsonrpc":"2.0","id":2,"method":"document.open","params":{"envelope":"{}"}}',
            b'{"jsonrpc":"2.0","id":3,"method":"group.add","params":[1,2]}', b"\x00\xff\xfe garbage", b"[" * 100000]:
    s.sendall(bad + b"\n")
    reply = json.loads(f.readline())
    assert "error" in reply, reply
s.close()
s = conn()
try:
    s.sendall(b"x" * (5 * 1024 * 1024) + b"\n")   # beyond the 4 MiB limit
except (BrokenPipeError, ConnectionResetError):
    pass                                          # the agent hangs up once the limit is passed
reply = s.makefile("rb").readline()
assert b"size limit" in reply, reply
s.close()
s = conn(); s.sendall(b"\xff" * 1000); s.close()          # no newline, then hang up
PYEOF
$PY "$CLIENT" "$SOCK" agent.hello >/dev/null || die "agent died after malformed input"

# A second agent on the same socket refuses to start.
set +e
"$AGENT" --home "$WORK/alice/home" --socket "$SOCK" --passphrase-file "$WORK/alice/passphrase" >/dev/null 2>second.err
rc=$?
set -e
[ "$rc" = 3 ] || die "second agent: exit $rc, expected 3"
grep -q "already running" second.err || die "second agent message: $(cat second.err)"

# Restart: keys survive; decryption still works.
stop_agent alice
start_agent alice
ok alice decrypt doc.txt.jcd -o after-restart.txt
same_file doc.txt after-restart.txt

# Wrong passphrase: a clean refusal (exit 6), no output, and the agent stays up.
stop_agent alice
printf 'not the passphrase\n' >"$WORK/alice/wrong"
"$AGENT" --home "$WORK/alice/home" --socket "$SOCK" --passphrase-file "$WORK/alice/wrong" >"$WORK/alice/agent.out" 2>>"$WORK/alice/agent.log" &
PIDS+=($!); wrong_pid=$!
wait_for_line "$WORK/alice/agent.out" "listening on" >/dev/null
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
[ ! -e wrong.txt ] || die "wrong passphrase left a file"
$PY "$CLIENT" "$SOCK" agent.hello >/dev/null || die "agent died after a wrong passphrase"
kill $wrong_pid; wait $wrong_pid 2>/dev/null || true
start_agent alice

# The service goes away: a clear error, quickly, not a hang.
stop_service
start=$(date +%s)
as alice decrypt doc.txt.jcd -o down.txt
[ "$RC" != 0 ] || die "decrypt succeeded with the service down"
[ $(( $(date +%s) - start )) -lt 30 ] || die "decrypt with the service down took too long"
grep -qi "service" <<<"$ERR" || die "service-down error does not mention the service: $ERR"
[ ! -e down.txt ] || die "failed decryption left a file"

# A token key whose label is not UTF-8, as a card may hold: the agent lists it with U+FFFD in
# place of the bad bytes, and goes on serving (an answer it cannot encode must not end it).
softhsm_token eve eve
SOFTHSM2_CONF="$WORK/eve/softhsm/softhsm2.conf" pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
  --token-label eve --login --pin "passphrase of eve" --keypairgen --key-type EC:prime256v1 \
  --label "$(printf 'bad\xff\xfelabel')" --id 0a --usage-derive >/dev/null 2>&1
BACKEND_eve=pkcs11 start_agent eve
keys=$($PY "$CLIENT" "$WORK/eve/run/agent.sock" keys.list) || die "keys.list with a non-UTF-8 label failed: $keys"
grep -qF 'bad\ufffd\ufffdlabel' <<<"$keys" || die "the non-UTF-8 label was not replaced: $keys"
$PY "$CLIENT" "$WORK/eve/run/agent.sock" agent.hello >/dev/null || die "the agent died after a non-UTF-8 label"
echo "agent safety: ok"
