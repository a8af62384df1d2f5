#!/usr/bin/env bash
# How the agent reaches the service: plain HTTP only on this machine, refused before any key is
# made or any packet sent; and requests signed for the audience the configured address names,
# never for what the service calls itself: a service that calls itself otherwise is refused
# with both names.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
PY=$(command -v /usr/bin/python3 || command -v python3)
has() { grep -qF -- "$2" <<<"$1" || die "expected \"$2\" in: $1"; }
no_keys() {  # the agent made no key and has no profile
  local keys status
  keys=$("$PY" "$here/agent_client.py" "$WORK/alice/run/agent.sock" keys.list)
  [ "$(tr -d ' \n' <<<"$keys")" = "[]" ] || die "keys were made: $keys"
  status=$("$PY" "$here/agent_client.py" "$WORK/alice/run/agent.sock" agent.status)
  ! grep -q '"profile"' <<<"$status" || die "a profile was made: $status"
}

start_agent alice

step "plain http:// to another host is refused"
start=$(date +%s)
as alice personal alice@example.com --service http://example.com:8080
[ "$RC" = 7 ] || die "exit $RC, expected 7: $ERR"
has "$ERR" "refusing plain http:// to example.com: signed requests and recrypted keys would cross the network unprotected; use https://"
[ $(( $(date +%s) - start )) -lt 5 ] || die "the refusal took too long: did it wait for the network?"
no_keys
say "$ERR"

# An address of this machine that is not loopback, with a listener on it: a check that came
# after connecting would show up there.
addr=$("$PY" - <<'PYEOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
    a = s.getsockname()[0]
    print("" if a.startswith("127.") else a)
except OSError:
    print("")
PYEOF
)
if [ -n "$addr" ]; then
  step "plain http:// to this machine's address $addr is refused without connecting"
  "$PY" - "$addr" >listener.out 2>&1 <<'PYEOF' &
import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(4)
print("port", s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); print("connected", flush=True); c.close()
PYEOF
  PIDS+=($!)
  port=$(wait_for_line listener.out port | cut -d' ' -f2)
  as alice personal alice@example.com --service "http://$addr:$port"
  [ "$RC" = 7 ] || die "exit $RC, expected 7: $ERR"
  has "$ERR" "refusing plain http:// to $addr"
  ! grep -q connected listener.out || die "the agent connected to $addr:$port"
  no_keys
else
  say "no non-loopback address here: the no-connection check is skipped"
fi

step "a service that calls itself otherwise is refused, naming both"
start_service --audience https://recrypt.example.com
as alice personal alice@example.com --service "$SERVICE_URL"
[ "$RC" = 7 ] || die "exit $RC, expected 7: $ERR"
has "$ERR" "the service at $SERVICE_URL calls itself https://recrypt.example.com, expected $SERVICE_URL: either it is not the service this address names, or its operator must run recryptd with --audience $SERVICE_URL"
no_keys
say "$ERR"
stop_service

step "the same service calling itself by its address is used"
start_service
ok alice personal alice@example.com --service "$SERVICE_URL/"
ok alice group create g@example.com
echo "transport: ok"
