#!/usr/bin/env bash
# `recrypt decrypt` of a small file (agent with soft keys, recryptd on loopback) against
# `gpg --decrypt` of the same file with a software key (gpg-agent already running), in the
# same run, beside the floor of any OpenSSL-based tool (bench/agent/process_floor.cpp). Prints
# microseconds per decryption and the ratios. Target: recrypt <= 1.0 x gpg.
# Usage: BUILD=build bench/agent/cli_vs_gpg.sh [ROUNDS]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../tests/cli/lib.sh"
cd "$WORK"
rounds=${1:-30}

start_service
start_agent alice
start_agent bob
ok alice personal alice@example.com --service "$SERVICE_URL"
ok bob personal bob@example.com --service "$SERVICE_URL"
ok alice group create bench@example.com
ok alice group add bench@example.com bob@example.com --fingerprint "$(fingerprint bob)"
head -c 1024 /dev/urandom >small.bin
ok alice encrypt -r bench@example.com small.bin
ok bob decrypt small.bin.jcd -o warm.bin --force   # warm: unlock the key store once

export GNUPGHOME="$WORK/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key bench@example.com nistp256 sign never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys bench@example.com | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --quiet --passphrase '' --quick-add-key "$fpr" nistp256 encr never 2>/dev/null
gpg --batch --quiet --trust-model always -r bench@example.com -o small.bin.gpg -e small.bin
gpg --batch --quiet -o warm.gpg.out -d small.bin.gpg 2>/dev/null   # starts gpg-agent

# The three commands run interleaved, round after round, so that a change in the machine's
# load hits them alike; each line reports the median over the rounds.
floor="$BUILD/bench/agent/process_floor"
recrypt_cmd=("$RECRYPT" --socket "$WORK/bob/run/agent.sock" decrypt small.bin.jcd -o out.bin --force)
gpg_cmd=(gpg --batch --quiet --yes -o out.gpg -d small.bin.gpg)
floor_cmd=("$floor" small.bin out.floor)
elapsed_us() {  # command... ; prints the wall time of one run in microseconds
  local start=${EPOCHREALTIME/./} end  # bash's own clock: no process of its own to time
  "$@" >/dev/null 2>&1 || die "failed: $*"
  end=${EPOCHREALTIME/./}
  echo $(( end - start ))
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
: >recrypt.us; : >gpg.us; : >floor.us
for _ in $(seq 1 "$rounds"); do
  elapsed_us "${recrypt_cmd[@]}" >>recrypt.us
  elapsed_us "${gpg_cmd[@]}" >>gpg.us
  elapsed_us "${floor_cmd[@]}" >>floor.us
done
recrypt_us=$(median <recrypt.us)
gpg_us=$(median <gpg.us)
floor_us=$(median <floor.us)
gpgconf --kill gpg-agent 2>/dev/null || true
same_file small.bin out.bin
same_file small.bin out.gpg
printf 'recrypt decrypt (1 KiB, soft keys, recryptd on loopback): %6d us per file (median of %d)\n' "$recrypt_us" "$rounds"
printf 'gpg --decrypt   (1 KiB, nistp256 software key)          : %6d us per file\n' "$gpg_us"
printf 'process floor   (exec + OpenSSL SHA-256 + AES-256-GCM)  : %6d us per file\n' "$floor_us"
python3 -c "print('ratio recrypt/gpg = %.2f (target <= 1.00); the floor alone is %.2f of gpg' % ($recrypt_us / $gpg_us, $floor_us / $gpg_us))"
