#!/usr/bin/env bash
# `recrypt decrypt` of a small file (agent with soft keys, recryptd on loopback) against
# `gpg --decrypt` of the same file with a software key (gpg-agent already running), in the
# same run. Prints milliseconds per decryption and the ratio. Target: recrypt <= 0.3 x gpg.
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
ok alice group add bench@example.com bob@example.com
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

ms_per_op() {  # command... ; median-free: total wall time over the rounds
  local start end
  start=$(date +%s%N)
  for _ in $(seq 1 "$rounds"); do "$@" >/dev/null 2>&1 || die "failed: $*"; done
  end=$(date +%s%N)
  echo $(( (end - start) / rounds / 1000 ))
}

recrypt_us=$(ms_per_op "$RECRYPT" --socket "$WORK/bob/run/agent.sock" decrypt small.bin.jcd -o out.bin --force)
gpg_us=$(ms_per_op gpg --batch --quiet --yes -o out.gpg -d small.bin.gpg)
gpgconf --kill gpg-agent 2>/dev/null || true
same_file small.bin out.bin
same_file small.bin out.gpg
printf 'recrypt decrypt (1 KiB, soft keys, recryptd on loopback): %d us per file\n' "$recrypt_us"
printf 'gpg --decrypt   (1 KiB, nistp256 software key)          : %d us per file\n' "$gpg_us"
python3 -c "print('ratio recrypt/gpg = %.2f (target <= 0.30)' % ($recrypt_us / $gpg_us))"
