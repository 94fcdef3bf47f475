#!/usr/bin/env bash
# Style check run by scripts/test.sh (so by CI): every C++ and CUDA source
# tracked by git must be formatted as .clang-format says, and the Python
# code must pass ruff (configured in pyproject.toml). Exits non-zero with
# the offending files listed.
#   bash scripts/check_format.sh          check
#   bash scripts/check_format.sh --fix    reformat in place
set -uo pipefail
cd "$(dirname "$0")/.."
fix=${1:-}
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh')
rc=0
if [ "$fix" = --fix ]; then
  clang-format -i "${files[@]}"
  python3 -m ruff check --fix -q . || rc=1
  exit $rc
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "clang-format: ${#bad[@]} file(s) not formatted (run bash scripts/check_format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  rc=1
fi
python3 -m ruff check -q . || { echo "ruff: see above (bash scripts/check_format.sh --fix fixes some)"; rc=1; }
[ $rc -eq 0 ] && echo "format: ${#files[@]} C++/CUDA files clean, ruff clean"
exit $rc
