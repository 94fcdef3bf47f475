#!/usr/bin/env bash
# Downloads the Debian packages scripts/gpu.sh needs into .deps/ (git-ignored),
# for GPU machines that have CUDA, CMake and Python but no package registry:
# gpu.sh unpacks them into /tmp/deps there. Run on a Debian 12 machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .deps
cd .deps
apt-get download \
  libopenblas0 libopenblas0-pthread libopenblas-dev libopenblas-pthread-dev libgfortran5 \
  libtbb12 libtbb-dev libtbbmalloc2 libtbbbind-2-5 \
  libhwy1 libhwy-dev libkissfft-dev \
  libgtest-dev libbenchmark1debian libbenchmark-dev
ls
