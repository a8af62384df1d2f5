#!/usr/bin/env bash
# A client that leaves stops its document.open. Bob's agent opens a document to three of his
# groups through a service that hangs on RecryptData (tamper_proxy.py --mode stall-recrypt):
# each recipient would cost one call that waits for the agent's --service-timeout. The client
# sends document.open, waits until the first call hangs, and closes its connection: the agent
# logs that it stopped, the service sees no second call, and the agent serves the next request.
# Usage: BUILD=build tests/cli/client_leaves.sh   (VERBOSE=1, KEEP_WORK=1)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
PY=$(command -v python3) || exit 77

PROXY_PID=
# start_proxy MODE: tamper_proxy.py in front of recryptd, on PROXY_PORT once it has one.
start_proxy() {
  if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; forget_pid "$PROXY_PID"; fi
  rm -f "$WORK/proxy.out" "$WORK/proxy.log"
  "$PY" "$here/tamper_proxy.py" --listen "127.0.0.1:${PROXY_PORT:-0}" --upstream "$SERVICE_URL" --mode "$1" \
    >"$WORK/proxy.out" 2>"$WORK/proxy.log" &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  local line
  line=$(wait_for_line "$WORK/proxy.out" "listening on")
  PROXY_PORT=${line##*:}
  PROXY_URL="http://127.0.0.1:$PROXY_PORT"
}
stalled() { grep -c "RecryptData stalled" "$WORK/proxy.log" || true; }

step "recryptd behind a pass-through proxy; Alice puts Bob in three groups"
start_service
start_proxy pass
restart_service --audience "$PROXY_URL"
start_agent alice
start_agent bob --service-timeout 3
for u in alice bob; do ok "$u" personal "$u@example.com" --service "$PROXY_URL"; done
for g in one two three; do
  ok alice group create "$g@example.com"
  ok alice group add "$g@example.com" bob@example.com --fingerprint "$(fingerprint bob)"
done
printf 'for the three groups\n' >doc.txt
ok alice encrypt -r one@example.com -r two@example.com -r three@example.com doc.txt
ok bob decrypt doc.txt.jcd -o bob.txt
same_file doc.txt bob.txt
say "Bob reads it through the proxy"

step "the service hangs on RecryptData; the client sends document.open and leaves"
start_proxy stall-recrypt
"$PY" - "$WORK/bob/run/agent.sock" "$WORK/doc.txt.jcd" "$WORK/proxy.log" <<'PYEOF'
import json, socket, sys, time
sock_path, document, proxy_log = sys.argv[1:]
envelope = open(document, "rb").read().split(b"\n")[1].decode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
request = {"jsonrpc": "2.0", "id": 1, "method": "document.open", "params": {"envelope": envelope}}
s.sendall(json.dumps(request).encode() + b"\n")
deadline = time.monotonic() + 30
while b"RecryptData stalled" not in open(proxy_log, "rb").read():
    if time.monotonic() > deadline:
        sys.exit("the agent made no RecryptData call")
    time.sleep(0.05)
s.close()
PYEOF
say "the first RecryptData hangs; the client closed its connection"
line=$(wait_for_line "$WORK/bob/agent.log" "document.open stopped: the client closed its connection")
say "agent: $line"
[ "$(stalled)" = 1 ] || die "the agent went on after its client left: $(stalled) RecryptData calls reached the service"
say "the service saw one RecryptData call, not three"

step "the agent serves the next request"
"$PY" "$here/agent_client.py" "$WORK/bob/run/agent.sock" agent.hello >/dev/null || die "agent.hello failed"
start_proxy pass
ok bob decrypt doc.txt.jcd -o bob-again.txt
same_file doc.txt bob-again.txt
[ "$(stalled)" = 0 ] || die "unexpected stall"
say "agent.hello answered; Bob reads the document again once the service answers"
