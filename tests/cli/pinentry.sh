#!/usr/bin/env bash
# Interactive PINs through a pinentry program (Assuan): asked once and cached, asked again
# after `agent lock`, a cancelled prompt is a clean refusal (exit 6), and a wrong passphrase
# typed at the prompt is refused without unlocking anything. The pinentry holds none of the
# agent's sockets.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"
export FAKE_PINENTRY_LOG="$WORK/pinentry.log"
export FAKE_PINENTRY_ANSWER="$WORK/answer"
export FAKE_PINENTRY_SOCKETS="$WORK/pinentry.sockets"
echo "a 100% good passphrase" >"$FAKE_PINENTRY_ANSWER"

start_service
mkdir -p "$WORK/alice"
"$AGENT" --home "$WORK/alice/home" --socket "$WORK/alice/run/agent.sock" --pinentry "$here/fake-pinentry" \
  >"$WORK/alice/agent.out" 2>>"$WORK/alice/agent.log" &
PIDS+=($!)
wait_for_line "$WORK/alice/agent.out" "listening on" >/dev/null
asked() { grep -c GETPIN "$FAKE_PINENTRY_LOG" 2>/dev/null || echo 0; }

ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create g@example.com
printf 'x\n' >doc.txt
ok alice encrypt -r g@example.com doc.txt
ok alice decrypt doc.txt.jcd -o out.txt
[ "$(asked)" = 1 ] || die "the passphrase should be asked once and cached, was asked $(asked) times"
# Started while the agent listened and held the CLI's connection: it inherited neither.
[ "$(sort -u "$FAKE_PINENTRY_SOCKETS")" = 0 ] || die "pinentry inherited sockets of the agent: $(tr '\n' ' ' <"$FAKE_PINENTRY_SOCKETS")"

ok alice agent lock
echo cancel >"$FAKE_PINENTRY_ANSWER"
refused 6 alice decrypt doc.txt.jcd -o cancelled.txt
[ ! -e cancelled.txt ] || die "a cancelled prompt left a file"

echo "not it" >"$FAKE_PINENTRY_ANSWER"
refused 6 alice decrypt doc.txt.jcd -o wrong.txt
[ ! -e wrong.txt ] || die "a wrong passphrase left a file"

echo "a 100% good passphrase" >"$FAKE_PINENTRY_ANSWER"
ok alice decrypt doc.txt.jcd -o again.txt --force
same_file doc.txt again.txt
echo "pinentry: ok"
