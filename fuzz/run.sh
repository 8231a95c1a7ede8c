#!/usr/bin/env bash
# Builds the loaders' fuzz targets with clang (libFuzzer + AddressSanitizer) and runs each for a bounded time.
#
#   fuzz/run.sh [--seconds N] [--build-dir DIR] [--jobs N] [target ...]
#
# Targets: those fuzz/CMakeLists.txt lists (default: all but the ON_REQUEST ones, such as hdf5_reader, which run
# when named), each fuzzed for N seconds (default 30), --jobs of them at a time (default 2; also the build's
# parallelism); DIR defaults to build/fuzz. Each starts from seeds it writes itself (small valid files, plus
# tests/io/data for the .npz reader) and the corpus DIR/corpus/<target> that earlier runs grew. Exit status:
# 0 when no target crashed, 1 when one did (its input is in DIR/artifacts, its log in DIR/logs), 77 when clang or
# its libFuzzer runtime is missing (ctest reports the test as skipped). See docs/fuzzing.md.
set -euo pipefail

src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/.." && pwd)
seconds=30
build="$root/build/fuzz"
jobs=2
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

# The compiler: $SPIKEWEAVE_FUZZ_CXX, else Debian's clang++-14, else clang++.
cxx=${SPIKEWEAVE_FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null 2>&1; then cxx=$(command -v "$c"); break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "fuzz/run.sh: SKIPPED: no clang++ (Debian: apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
mkdir -p "$build"
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
     "$cxx" -fsanitize=fuzzer,address -x c++ - -o "$build/probe" >"$build/probe.log" 2>&1; then
  echo "fuzz/run.sh: SKIPPED: $cxx cannot link -fsanitize=fuzzer,address (Debian: apt-get install libclang-rt-14-dev);"
  echo "  see $build/probe.log"
  exit 77
fi

start=$(date +%s)
echo "fuzz/run.sh: building with $cxx in $build"
cmake -S "$src" -B "$build" -G "Unix Makefiles" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE= \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
if [ ${#targets[@]} -eq 0 ]; then mapfile -t targets <"$build/targets.txt"; fi
# Every target that compiles is fuzzed even when another does not (make -k); a missing binary is a failed build.
for t in "${targets[@]}"; do rm -f "$build/fuzz_$t"; done
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}" -- -k >"$build/build.log" 2>&1 || true
built=()
unbuilt=()
for t in "${targets[@]}"; do
  if [ -x "$build/fuzz_$t" ]; then built+=("$t"); else unbuilt+=("$t"); fi
done
echo "fuzz/run.sh: built in $(( $(date +%s) - start )) s; fuzzing ${#built[@]} targets for $seconds s each"

mkdir -p "$build/artifacts" "$build/logs"
# The targets' input files: in memory where possible, and gone when this script ends, however the targets ended.
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
export SPIKEWEAVE_FUZZ_SCRATCH="$shm/spikeweave_fuzz_run_$$"
trap 'rm -rf "$SPIKEWEAVE_FUZZ_SCRATCH"' EXIT
# One target: its seeds, then libFuzzer for $seconds; the outcome in logs/<target>.result.
fuzz_one() {
  local t=$1 exe="$build/fuzz_$1" seeds="$build/seeds/$1" corpus="$build/corpus/$1" log="$build/logs/$1.log"
  local result="$build/logs/$1.result"
  rm -rf "$seeds"
  mkdir -p "$corpus"
  if ! SPIKEWEAVE_FUZZ_SEEDS="$seeds" "$exe" >"$build/logs/$t.seeds.log" 2>&1; then
    { echo "FAILED: cannot write its seeds (log $build/logs/$t.seeds.log):"; tail -n 30 "$build/logs/$t.seeds.log"; } >"$result"
    return
  fi
  if [ "$t" = npz_reader ]; then cp "$root"/tests/io/data/*.npz "$seeds/"; fi
  local dict=()
  if [ -f "$src/$t.dict" ]; then dict=(-dict="$src/$t.dict"); fi
  # An allocation of 64 MB or more is a bug (a size in a header believed before the data is there, or a
  # decompression bomb inflated whole: the seeds hold bombs of 128 MiB), as is an input that takes 10 s. The
  # readers' targets skip reading entries over 32 MiB, which the data really holds (fuzz/readers.hpp).
  if "$exe" "$corpus" "$seeds" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=64 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1; then
    local runs rate units
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    units=$(find "$corpus" -type f | wc -l)
    echo "ok, $runs inputs, $rate exec/s, corpus $units files" >"$result"
  else
    { echo "FAILED (log $log):"
      grep -aE '^(==[0-9]+==ERROR|SUMMARY|spikeweave fuzz:|artifact_prefix|Test unit written)|terminate called|  what\(\)' "$log" |
        head -n 20 || true
      echo "..."; tail -n 40 "$log"; } >"$result"
  fi
}

# $jobs targets at a time.
for t in "${built[@]}"; do
  rm -f "$build/logs/$t.result"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$t" &
done
wait
failed=()
if [ ${#unbuilt[@]} -gt 0 ]; then
  echo "fuzz/run.sh: ${unbuilt[*]}: FAILED: did not compile (log $build/build.log); the first errors:"
  grep -m 10 'error:' "$build/build.log" || tail -n 30 "$build/build.log"
  failed+=("${unbuilt[@]}")
fi
for t in "${built[@]}"; do
  result=$(cat "$build/logs/$t.result" 2>/dev/null || echo "FAILED: no result")
  echo "fuzz/run.sh: $t: $result"
  case "$result" in ok*) ;; *) failed+=("$t") ;; esac
done
echo "fuzz/run.sh: done in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: failed: ${failed[*]}; reproduce a crash with $build/fuzz_<target> <artifact>" \
       "(SPIKEWEAVE_FUZZ_VERBOSE=1 prints why inputs are refused)"
  exit 1
fi
