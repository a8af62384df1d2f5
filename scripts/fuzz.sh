#!/usr/bin/env bash
# Runs every libFuzzer target of a build tree configured with -DRECRYPT_FUZZ=ON for a while, as
# many at a time as there are cores, each from its seed corpus and the checked-in regressions.
# Fails when any target finds a crash, a leak, a sanitizer report or a hang.
#   scripts/fuzz.sh BUILD [SECONDS [TARGET...]]      SECONDS per target, default 25
# What a target finds new is kept in BUILD/fuzz/work/<target>/ (the next run starts from it); a
# finding is written to BUILD/fuzz/findings/<target>/: once fixed, add it to
# fuzz/regressions/<target>/, which ctest replays in every build (fuzz.<target>.corpus).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: fuzz.sh BUILD [SECONDS [TARGET...]]}" && pwd)
seconds=${2:-25}
shift $(($# < 2 ? $# : 2))
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for exe in "$build"/fuzz/fuzz_*; do
    name=${exe##*/fuzz_}
    [ "$name" = make_seeds ] || targets+=("$name")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets in $build/fuzz (configure with -DRECRYPT_FUZZ=ON)"; exit 1; }
# (grep reads all of nm's output: with -q it would stop early and pipefail see nm's SIGPIPE)
nm "$build/fuzz/fuzz_${targets[0]}" 2>/dev/null | grep LLVMFuzzerRunDriver >/dev/null ||
  { echo "fuzz.sh: $build/fuzz/fuzz_${targets[0]} is not a libFuzzer build (configure with -DRECRYPT_FUZZ=ON)"; exit 1; }

logs=$(mktemp -d); trap 'rm -rf "$logs"' EXIT
run() {  # run TARGET: fuzzes it, its log in $logs/TARGET.log; status 0 when nothing was found
  local t=$1 work="$build/fuzz/work/$1" findings="$build/fuzz/findings/$1"
  local inputs=("$work" "$build/fuzz/corpus/$t")
  [ -d "$here/fuzz/regressions/$t" ] && inputs+=("$here/fuzz/regressions/$t")
  mkdir -p "$work" "$findings"
  # -timeout: one input taking this long is a hang; -rss_limit_mb: two targets at a time fit
  # in a small machine.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "${inputs[@]}" >"$logs/$t.log" 2>&1
}
export -f run
export build here seconds logs

echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, $(nproc) at a time"
start=$SECONDS
touch "$logs/start"  # findings newer than this are this run's
failed=()
# xargs runs them in parallel; each one's verdict is a file, read back in order below.
printf '%s\n' "${targets[@]}" |
  xargs -P "$(nproc)" -I{} bash -c 'if run "$1"; then echo ok >"$logs/$1.status"; else echo "$?" >"$logs/$1.status"; fi' _ {}
for t in "${targets[@]}"; do
  status=$(cat "$logs/$t.status" 2>/dev/null || echo "did not run")
  stats=$(awk '/^stat::number_of_executed_units:/ { r = $2 } /^stat::new_units_added:/ { n = $2 }
               /^stat::peak_rss_mb:/ { m = $2 } END { printf "%s runs, %s new inputs, peak %s MB", r, n, m }' "$logs/$t.log" 2>/dev/null || true)
  corpus=$(find "$build/fuzz/work/$t" -type f | wc -l)
  if [ "$status" = ok ]; then
    printf 'ok    %-16s %s, work corpus %s\n' "$t" "$stats" "$corpus"
  else
    printf 'FAIL  %-16s exit %s\n' "$t" "$status"
    tail -n 60 "$logs/$t.log" | sed 's/^/   | /'
    find "$build/fuzz/findings/$t" -type f -newer "$logs/start" | sed 's/^/   finding: /'
    failed+=("$t")
  fi
done
echo "fuzz.sh: $((SECONDS - start))s, ${#failed[@]} of ${#targets[@]} targets found something${failed[*]:+: ${failed[*]}}"
[ ${#failed[@]} = 0 ]
