#!/usr/bin/env bash
# The style check CI runs (ci/test.sh): clang-format on every C/C++ file of the project,
# clang-tidy (.clang-tidy) on the .cpp files a change touches.
#   bash ci/check-style.sh              # clang-tidy on what changed since HEAD~1
#   bash ci/check-style.sh BASE         # ... since BASE (a commit, branch or tag)
#   bash ci/check-style.sh --all        # clang-tidy on every .cpp file (about 10 min on 2 cores)
#   bash ci/check-style.sh --fix        # rewrite the files clang-format would change
# corpus/ is test input whose lines the expectations name: it has its own .clang-format
# that turns formatting off. Needs the Debug build's compile_commands.json (ci/test.sh builds it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

base="HEAD~1" all=0 fix=0
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    --fix) fix=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-style.sh: unknown option $arg" >&2; exit 2 ;;
    *) base="$arg" ;;
  esac
done

mapfile -t sources < <(git ls-files -- '*.cpp' '*.h' '*.c' ':!:corpus/*')
status=0
if [ "$fix" -eq 1 ]; then
  clang-format-19 -i "${sources[@]}"
  log "clang-format: ${#sources[@]} files formatted"
  exit 0
fi
if ! clang-format-19 --dry-run -Werror "${sources[@]}"; then
  log "clang-format: the files above differ from .clang-format (bash ci/check-style.sh --fix rewrites them)"
  status=1
else
  log "clang-format: ${#sources[@]} files as .clang-format wants them"
fi

build="$(build_dir_for Debug)"
[ -f "$build/compile_commands.json" ] || { log "no $build/compile_commands.json: build Debug first"; exit 2; }
if [ "$all" -eq 1 ] || ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  mapfile -t tidy < <(git ls-files -- '*.cpp' ':!:corpus/*' ':!:tests/*')
  log "clang-tidy: all ${#tidy[@]} .cpp files"
else
  mapfile -t tidy < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cpp' ':!:corpus/*' ':!:tests/*')
  log "clang-tidy: ${#tidy[@]} .cpp files changed since $base"
fi
if [ "${#tidy[@]}" -gt 0 ]; then
  printf '%s\n' "${tidy[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy-19 -p "$build" --quiet 2>/dev/null || status=1
fi
exit "$status"
