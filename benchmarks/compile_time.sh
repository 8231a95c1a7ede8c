#!/usr/bin/env bash
# How long translation units take to compile, and how much memory the compiler takes (docs/performance.md).
#
# usage: benchmarks/compile_time.sh [programs] [headers] [examples]   (default: all three)
#   programs  benchmarks/compile_time/*.cpp (a small program with monitors and state I/O,
#             with the umbrella header and with only the headers it uses, and the same
#             program without files: the floor) at -O0 and -O2, and
#             src/io/io.cpp, the library of spikeweave::io (every file format), which a build
#             compiles once
#   headers   every public header alone, -fsyntax-only
#   examples  examples/*.cpp at -O0 and -O2
#
# CPU time (user + sys) and peak memory (max RSS) of the compiler, from /usr/bin/time,
# the least of REPEAT runs (default 3): on a shared machine wall time measures the load,
# CPU time much less so, max RSS not at all. CXX (default g++) chooses the compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX:-g++}
repeat=${REPEAT:-3}
[[ -x /usr/bin/time ]] || { echo "compile_time.sh: needs /usr/bin/time (Debian: time)" >&2; exit 1; }
sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(programs headers examples)

# What the CMake targets would add: spikeweave::io (its define, HDF5's include path), spikeweave::tbb's
# define for core/parallel.hpp, MPI's include path, and the examples' own defines.
flags=(-std=c++20 -Iinclude -DSPIKEWEAVE_WITH_IO=1 -DSPIKEWEAVE_WITH_TBB=1)
if hdf5=$(pkg-config --cflags-only-I hdf5 2>/dev/null); then flags+=($hdf5); fi
if command -v mpicxx >/dev/null && mpi=$(mpicxx --showme:incdirs 2>/dev/null); then
  for dir in $mpi; do flags+=(-isystem "$dir"); done
fi
example_flags=(-Iexamples -DSPIKEWEAVE_EXAMPLES_DIR=\"examples\" -DSPIKEWEAVE_SOURCE_DIR=\".\")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure <label> <compiler arguments...>: one row, the least CPU time and memory of $repeat runs.
measure() {
  local label=$1 best_cpu="" best_mb="" run
  shift
  for ((run = 0; run < repeat; ++run)); do
    if ! /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$cxx" "$@" >"$tmp/log" 2>&1; then
      printf '%-58s %9s %8s\n' "$label" "failed" "-"
      sed 's/^/    /' "$tmp/log" | head -5
      return
    fi
    read -r user sys kb <"$tmp/time"
    local cpu mb
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    mb=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
    if [[ -z $best_cpu ]] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then best_cpu=$cpu; fi
    if [[ -z $best_mb ]] || ((mb < best_mb)); then best_mb=$mb; fi
  done
  printf '%-58s %9s %8s\n' "$label" "$best_cpu" "$best_mb"
}

echo "$("$cxx" --version | head -1); least of $repeat runs"
printf '%-58s %9s %8s\n' "translation unit" "CPU [s]" "MB"
for section in "${sections[@]}"; do
  case $section in
    programs)
      for program in benchmarks/compile_time/*.cpp; do
        for opt in -O0 -O2; do measure "$program ($opt)" "${flags[@]}" "$opt" -c "$program" -o "$tmp/p.o"; done
      done
      for opt in -O0 -O2; do
        measure "src/io/io.cpp, once per build ($opt)" "${flags[@]}" "$opt" -c src/io/io.cpp -o "$tmp/io.o"
      done ;;
    headers)
      for header in $(cd include && find spikeweave -name '*.hpp' -not -path '*/detail/*' | sort); do
        echo "#include <$header>" >"$tmp/h.cpp"
        measure "$header" "${flags[@]}" -fsyntax-only "$tmp/h.cpp"
      done ;;
    examples)
      for example in examples/*.cpp; do
        for opt in -O0 -O2; do
          measure "$example ($opt)" "${flags[@]}" "${example_flags[@]}" "$opt" -c "$example" -o "$tmp/e.o"
        done
      done ;;
    *) echo "compile_time.sh: unknown section '$section' (programs, headers, examples)" >&2; exit 2 ;;
  esac
done
