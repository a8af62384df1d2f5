#!/usr/bin/env bash
# Decrypted output has no name until it is complete (base/atomic_file.hpp): a decryption
# interrupted with SIGINT mid-way leaves nothing in the output folder, not even the plaintext
# of the segments that authenticated; a file that appears at the output path while recrypt
# writes is not replaced, and the error says so; --force replaces it. A file decrypted into
# its unnamed output by every thread at the segments' offsets gives the plaintext, or the
# error the in-order reader gives and nothing in the folder. --threads takes 1 to 64 and
# stands over RECRYPT_THREADS.
#
# Deterministic: recrypt reads the document through a FIFO that gets its first half at once
# and the rest only when the test says so, and the test acts once recrypt's output file is
# open and holds plaintext (seen in /proc/PID/fd). Exits 77 (skipped) without what it needs.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cd "$WORK"

# A background job of a script starts with SIGINT ignored; env puts it back to its default,
# as a terminal's Ctrl-C finds it.
env --default-signal=INT true 2>/dev/null || { echo "SKIP: env has no --default-signal (coreutils 8.31)"; exit 77; }
[ -d /proc/self/fd ] || { echo "SKIP: no /proc"; exit 77; }

start_service
start_agent alice
ok alice personal alice@example.com --service "$SERVICE_URL"
ok alice group create g@example.com
head -c $((1024 * 1024)) /dev/urandom >big.bin  # 16 segments of 64 KiB
ok alice encrypt -r g@example.com -o big.jcd big.bin
half=$(($(stat -c %s big.jcd) / 2))
mkdir out
out_dir="$(pwd -P)/out"

# writing PID: PID has a file of the output folder open, with data in it.
writing() {
  local fd target
  for fd in /proc/"$1"/fd/*; do
    target=$(readlink "$fd" 2>/dev/null) || continue
    case "$target" in
      "$out_dir"/*) [ "$(stat -L -c %s "$fd" 2>/dev/null || echo 0)" -gt 0 ] && return 0 ;;
    esac
  done
  return 1
}

# decrypt_from_fifo ARGS...: `recrypt decrypt in.fifo ARGS...` in the background (DEC_PID),
# its stderr in decrypt.err; the FIFO gets the first half of big.jcd, the rest once the file
# `go` exists. Returns when recrypt's output holds the plaintext of the first segments.
decrypt_from_fifo() {
  rm -f go in.fifo
  mkfifo in.fifo
  ( head -c "$half" big.jcd; until [ -e go ]; do sleep 0.05; done; tail -c +"$((half + 1))" big.jcd ) >in.fifo &
  PIDS+=($!)
  env --default-signal=INT "$RECRYPT" --socket "$WORK/alice/run/agent.sock" decrypt in.fifo "$@" >decrypt.out 2>decrypt.err &
  DEC_PID=$!
  PIDS+=("$DEC_PID")
  for _ in $(seq 1 200); do
    writing "$DEC_PID" && return 0
    kill -0 "$DEC_PID" 2>/dev/null || die "recrypt decrypt ended early: $(cat decrypt.err)"
    sleep 0.05
  done
  die "recrypt decrypt did not start writing its output"
}

# finished: recrypt's exit status, in RC.
finished() {
  set +e
  wait "$DEC_PID"
  RC=$?
  set -e
  forget_pid "$DEC_PID"
}

step "Ctrl-C in the middle of a decryption leaves nothing behind"
decrypt_from_fifo -o out/big.bin
kill -INT "$DEC_PID"
finished
[ "$RC" = 130 ] || die "an interrupted decrypt exited $RC, expected death by SIGINT (130): $(cat decrypt.err)"
[ -z "$(ls -A out)" ] || die "an interrupted decrypt left $(ls -A out | tr '\n' ' ')in the output folder"

step "a file that appears at the output path while decrypting is not replaced"
decrypt_from_fifo -o out/big.bin
printf 'mine\n' >out/big.bin
touch go
finished
[ "$RC" = 1 ] || die "decrypt over a file that appeared meanwhile exited $RC: $(cat decrypt.err)"
grep -q "out/big.bin appeared while it was being written; it was not replaced (use --force" decrypt.err ||
  die "the error does not say the file was not replaced: $(cat decrypt.err)"
[ "$(cat out/big.bin)" = mine ] || die "the file that appeared was replaced"
[ "$(ls -A out)" = big.bin ] || die "the refused decrypt left $(ls -A out | tr '\n' ' ')"

step "one there from the start is refused before any work"
refused 1 alice decrypt big.jcd -o out/big.bin
grep -q "out/big.bin exists (use --force to replace it)" <<<"$ERR" || die "existing output: $ERR"
[ "$(cat out/big.bin)" = mine ] || die "the existing file was replaced"

step "--force replaces it"
decrypt_from_fifo -o out/big.bin --force
[ "$(cat out/big.bin)" = mine ] || die "--force replaced the file before the document authenticated"
touch go
finished
[ "$RC" = 0 ] || die "decrypt --force exited $RC: $(cat decrypt.err)"
same_file big.bin out/big.bin
[ "$(ls -A out)" = big.bin ] || die "decrypt --force left $(ls -A out | tr '\n' ' ')"
[ "$(stat -c %a out/big.bin)" = 600 ] || die "decrypted output has mode $(stat -c %a out/big.bin), not 600"
step "file to unnamed file on four threads: round trip, an altered middle segment, a cut"
RECRYPT_THREADS=4 ok alice encrypt -r g@example.com -o out/threads.jcd big.bin
RECRYPT_THREADS=4 ok alice decrypt out/threads.jcd -o out/threads.bin
same_file big.bin out/threads.bin
rm out/threads.bin
header=$(head -n 2 out/threads.jcd | wc -c)
sealed=$((65536 + 16))
cp out/threads.jcd altered.jcd
flip_byte altered.jcd $((header + 10 * sealed + 100))
RECRYPT_THREADS=4 refused 5 alice decrypt altered.jcd -o out/altered.bin
grep -q "\.jcd segment 10 does not authenticate (the file was altered)" <<<"$ERR" ||
  die "an altered segment 10: $ERR"
head -c $((header + 12 * sealed + 5)) out/threads.jcd >cut.jcd
RECRYPT_THREADS=4 refused 5 alice decrypt cut.jcd -o out/cut.bin
grep -q "\.jcd file is truncated$" <<<"$ERR" || die "a document cut inside segment 12: $ERR"
[ "$(ls -A out | tr '\n' ' ')" = "big.bin threads.jcd " ] ||
  die "failed decryptions left $(ls -A out | tr '\n' ' ')"

step "--threads: within 1 to 64, and it stands over RECRYPT_THREADS"
RECRYPT_THREADS=bad refused 5 alice decrypt out/threads.jcd -o out/env.bin
grep -q "RECRYPT_THREADS must be a number from 1 to 64" <<<"$ERR" || die "a bad RECRYPT_THREADS: $ERR"
RECRYPT_THREADS=bad ok alice encrypt --threads 3 -r g@example.com -o out/opt.jcd big.bin
RECRYPT_THREADS=bad ok alice decrypt --threads 2 out/opt.jcd -o out/opt.bin
same_file big.bin out/opt.bin
rm out/opt.jcd out/opt.bin
for n in 0 65; do
  refused 2 alice decrypt --threads "$n" out/threads.jcd -o out/n.bin
  grep -q -- "--threads: Value $n not in range 1 to 64" <<<"$ERR" || die "--threads $n: $ERR"
done
echo "decrypt_output: ok"
