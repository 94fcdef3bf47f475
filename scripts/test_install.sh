#!/usr/bin/env bash
# Checks that an installed Tandem can be used from another CMake project, as
# docs/cpp_guide.md shows: installs the C++ library of an existing build into
# a temporary prefix, configures the guide's find_package project against it
# (with examples/cpp_guide.cpp, then examples/demo.cpp, as main.cpp), builds
# both and runs the guide's program.
#   bash scripts/test_install.sh [BUILD_DIR]     (default: build, as scripts/build.sh makes)
# The build directory must have been configured from this tree; the library
# is brought up to date first (the examples need nothing else built).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build}
[ -f "$build/CMakeCache.txt" ] || { echo "test_install: $build is not a configured build (bash scripts/build.sh)"; exit 1; }
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
jobs=${JOBS:-$(nproc)}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

# The install rules exist only with TANDEM_INSTALL=ON (the default at top level).
cmake -DTANDEM_INSTALL=ON "$build" >/dev/null
cmake --build "$build" --target tandem -j"$jobs" >/dev/null
cmake --install "$build" --prefix "$prefix" --component cpp >/dev/null
for f in lib/libtandem.a include/tandem/tandem.h lib/cmake/tandem/tandem-config.cmake \
         lib/cmake/tandem/tandem-config-version.cmake lib/cmake/tandem/tandem-targets.cmake; do
  [ -f "$prefix/$f" ] || { echo "test_install: $f was not installed"; exit 1; }
done

# The guide's CMakeLists.txt, verbatim: the first ```cmake block with find_package.
awk '/^```cmake$/ {inb=1; buf=""; next}
     /^```$/ && inb {inb=0; if (buf ~ /find_package\(Tandem/) {printf "%s", buf; exit}; next}
     inb {buf = buf $0 "\n"}' docs/cpp_guide.md >"$tmp/CMakeLists.txt"
grep -q 'Tandem::tandem' "$tmp/CMakeLists.txt" || { echo "test_install: no find_package block in docs/cpp_guide.md"; exit 1; }

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# One consumer per example: main.cpp is the example's source.
build_consumer() {  # name, source file
  local dir=$tmp/$1
  mkdir -p "$dir"
  cp "$tmp/CMakeLists.txt" "$dir/"
  cp "$2" "$dir/main.cpp"
  cmake -S "$dir" -B "$dir/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" >"$dir/configure.log" 2>&1 ||
    { cat "$dir/configure.log"; echo "test_install: $1 did not configure"; exit 1; }
  cmake --build "$dir/build" -j"$jobs" >"$dir/build.log" 2>&1 ||
    { tail -50 "$dir/build.log"; echo "test_install: $1 did not build"; exit 1; }
}
build_consumer cpp_guide examples/cpp_guide.cpp
build_consumer demo examples/demo.cpp

# The package is found under its other spelling too.
sed 's/find_package(Tandem /find_package(tandem /' "$tmp/CMakeLists.txt" >"$tmp/lower.txt"
mkdir -p "$tmp/lower" && cp "$tmp/lower.txt" "$tmp/lower/CMakeLists.txt" &&
  cp examples/cpp_guide.cpp "$tmp/lower/main.cpp"
cmake -S "$tmp/lower" -B "$tmp/lower/build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/lower.log" 2>&1 || { cat "$tmp/lower.log"; echo "test_install: find_package(tandem) failed"; exit 1; }

out=$("$tmp/cpp_guide/build/my_app")
for want in "grad at a: 2 4 6 8" "[16, 23]]" "mean of y: 0.567"; do
  grep -qF "$want" <<<"$out" || { echo "$out"; echo "test_install: output lacks '$want'"; exit 1; }
done
echo "install: find_package(Tandem) against $build's library: cpp_guide and demo built, cpp_guide ran"
