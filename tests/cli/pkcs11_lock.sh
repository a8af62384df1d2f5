#!/usr/bin/env bash
# A PKCS#11 token (SoftHSM2) behind the agent, its PIN typed at a pinentry: asked once, then
# the token stays logged in; after `recrypt agent lock` the next decrypt asks for the PIN again
# (the token was logged out and the cached PIN forgotten, not only the agent's own cache), and
# a wrong PIN is then refused with the token's message. --cache-ttl 0 reaches the token too.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
module=/usr/lib/softhsm/libsofthsm2.so
command -v softhsm2-util >/dev/null && [ -f "$module" ] || { echo "no SoftHSM2"; exit 77; }
export FAKE_PINENTRY_LOG="$WORK/pinentry.log"
export FAKE_PINENTRY_ANSWER="$WORK/answer"
asked() { grep -c GETPIN "$FAKE_PINENTRY_LOG" 2>/dev/null || echo 0; }

# agent_with_pinentry [options...]: alice's agent on her token, PINs from the fake pinentry.
agent_with_pinentry() {
  SOFTHSM2_CONF="$WORK/alice/softhsm/softhsm2.conf" "$AGENT" --home "$WORK/alice/home" \
    --socket "$WORK/alice/run/agent.sock" --pinentry "$here/fake-pinentry" \
    --backend pkcs11 --pkcs11-module "$module" --pkcs11-token pkcs11:token=alice "$@" \
    >"$WORK/alice/agent.out" 2>>"$WORK/alice/agent.log" &
  AGENT_PID_alice=$!
  PIDS+=("$AGENT_PID_alice")
  wait_for_line "$WORK/alice/agent.out" "listening on" >/dev/null
}

start_service
mkdir -p "$WORK/alice"
softhsm_token alice alice
echo "passphrase of alice" >"$FAKE_PINENTRY_ANSWER"
agent_with_pinentry
ok alice personal alice@example.com --service "$SERVICE_URL"
first_round_trip alice g@example.com
before=$(asked)
[ "$before" -ge 1 ] || die "the PIN was never asked"
ok alice decrypt doc.txt.jcd -o out.txt --force
[ "$(asked)" = "$before" ] || die "the PIN should stay cached, was asked $(( $(asked) - before )) more times"

ok alice agent lock
ok alice decrypt doc.txt.jcd -o again.txt
same_file doc.txt again.txt
[ "$(asked)" = $((before + 1)) ] || die "after agent lock the PIN should be asked once more, asked $(asked) in all"

ok alice agent lock
echo "000000" >"$FAKE_PINENTRY_ANSWER"
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
[ ! -e wrong.txt ] || die "a wrong PIN left a file"
grep -q "wrong PIN for token 'alice'" <<<"$ERR" || die "not refused for the wrong PIN: $ERR"
[ "$(asked)" = $((before + 2)) ] || die "the wrong PIN should be asked once, asked $(asked) in all"

# --cache-ttl 0: nothing cached anywhere, so every decrypt asks.
stop_agent alice
echo "passphrase of alice" >"$FAKE_PINENTRY_ANSWER"
agent_with_pinentry --cache-ttl 0
start=$(asked)
ok alice decrypt doc.txt.jcd -o zero1.txt
ok alice decrypt doc.txt.jcd -o zero2.txt
[ "$(asked)" -ge $((start + 2)) ] || die "--cache-ttl 0 should ask for every decrypt, asked $(( $(asked) - start ))"
echo "pkcs11_lock: ok"
