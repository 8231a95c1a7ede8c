#!/usr/bin/env bash
# Prints how long each public header (alone) and each example take to compile
# with GCC at -O0 (front end + code generation), best of 3.
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX:-g++}
best_of_3() {
  local best=999
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    best=$(awk -v s="$s" -v e="$e" -v b="$best" 'BEGIN { t = e - s; print (t < b ? t : b) }')
  done
  printf '%.2f' "$best"
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '%-45s %8s\n' "translation unit" "seconds"
for h in $(cd include && find spikeweave -name '*.hpp' | sort); do
  echo "#include <$h>" > "$tmp/h.cpp"
  printf '%-45s %8s\n' "$h" "$(best_of_3 "$cxx" -std=c++20 -O0 -Iinclude -c "$tmp/h.cpp" -o "$tmp/h.o")"
done
for ex in examples/*.cpp; do
  printf '%-45s %8s\n' "$ex (-O0)" "$(best_of_3 "$cxx" -std=c++20 -O0 -Iinclude -c "$ex" -o "$tmp/e.o")"
  printf '%-45s %8s\n' "$ex (-O2)" "$(best_of_3 "$cxx" -std=c++20 -O2 -Iinclude -c "$ex" -o "$tmp/e.o")"
done
