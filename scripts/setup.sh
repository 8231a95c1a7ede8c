#!/usr/bin/env bash
# Installs the Debian 12 packages spikeweave needs (only those missing) and
# configures a release build in ./build. Uses sudo only when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config             # compiler and build
  libboost-dev libboost-serialization-dev libboost-iostreams-dev zlib1g-dev
  libxtensor-dev libxsimd-dev libtbb-dev nlohmann-json3-dev
  libhdf5-dev                                  # .h5 state files
  libopenmpi-dev openmpi-bin                   # spikeweave::mpi
  clang libclang-rt-14-dev                     # fuzz targets (libFuzzer + ASan)
  catch2                                       # tests (Catch2 v2)
  python3 python3-numpy python3-matplotlib python3-scipy python3-h5py python3-brian  # plots, .mat checks, Brian2
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
