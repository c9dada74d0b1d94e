#!/usr/bin/env bash
# tests/bench/incremental-scan.sh - what the facts cache (analyzer/facts_cache.h) saves, side
# by side in one run: CPython 3.13's Modules/ (the database of cpython-modules-db.sh)
# scanned
#   1. cold:  --no-cache (every unit parsed: the baseline),
#   2. fill:  with an empty cache (parsed, and every reusable unit kept),
#   3. warm:  again, nothing changed (target: at most 2 % of cold),
#   4. one:   after one source file changed (a comment appended to Modules/_bisectmodule.c,
#             restored on exit): only its two (unit, configuration) pairs are parsed,
#   5. hook:  the pre-commit hook's case, a small tree (corpus/example_project) warm after
#             one changed file (target: at most 0.5 s).
# Every scan's JSON must equal the cold one's (timings aside); the script fails otherwise.
# Usage: tests/bench/incremental-scan.sh --subcheck BUILD/cli/subcheck [--python PY]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
subcheck="" python=""
while [ $# -gt 0 ]; do
  case "$1" in
    --subcheck) subcheck=$2; shift 2 ;;
    --python) python=$2; shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x "$subcheck" ] || { echo "--subcheck BINARY is required" >&2; exit 2; }
[ -n "$python" ] || python=$(ls -d "${SUBCHECK_CACHE:-$HOME/.cache/subcheck}"/cpython/3.13.*[0-9]/bin/python3.13 | head -1)

eval "$(bash "$HERE/cpython-modules-db.sh" | grep -E '^(SRC|DB)=')"
work=$(mktemp -d)
changed="$SRC/Modules/_bisectmodule.c"
cp "$changed" "$work/original.c"
cleanup() { cp "$work/original.c" "$changed"; rm -rf "$work"; }
trap cleanup EXIT

seconds() { /usr/bin/time -f %e -o "$work/time" "$@" >/dev/null 2>&1 || true; cat "$work/time"; }
scan() { "$subcheck" scan "$SRC/Modules" -p "$DB" --python "$python" --quiet --format json "$@"; }
same() {  # the report equals the cold one
  python3 - "$work/cold.json" "$1" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
sys.exit(0 if a == b else f"{sys.argv[2]} differs from the cold scan")
PY
}

cold=$(seconds scan --no-cache -o "$work/cold.json")
fill=$(seconds scan --cache-dir "$work/cache" -o "$work/fill.json"); same "$work/fill.json"
warm=$(seconds scan --cache-dir "$work/cache" -o "$work/warm.json"); same "$work/warm.json"
echo "/* touched by incremental-scan.sh */" >> "$changed"
one=$(seconds scan --cache-dir "$work/cache" -o "$work/one.json")
entries=$(ls "$work/cache" | wc -l)

cp -r "$REPO/corpus/example_project" "$work/example"
"$subcheck" scan "$work/example" --python "$python" --quiet --cache-dir "$work/cache2" >/dev/null 2>&1 || true
echo "/* edited */" >> "$(find "$work/example" -name '*.c' | head -1)"
hook=$(seconds "$subcheck" scan "$work/example" --python "$python" --quiet --cache-dir "$work/cache2")

python3 - "$cold" "$fill" "$warm" "$one" "$hook" "$entries" <<'PY'
import sys
cold, fill, warm, one, hook = map(float, sys.argv[1:6])
print(f"CPython 3.13 Modules/ ({sys.argv[6]} cache entries)")
print(f"  cold, --no-cache      {cold:7.2f} s   (baseline)")
print(f"  filling the cache     {fill:7.2f} s   {100 * fill / cold:6.1f} % of cold")
print(f"  warm, nothing changed {warm:7.2f} s   {100 * warm / cold:6.1f} % of cold (target <= 2 %)")
print(f"  one file changed      {one:7.2f} s   {100 * one / cold:6.1f} % of cold")
print(f"example project, one file changed, warm: {hook:.2f} s (target <= 0.5 s)")
PY
