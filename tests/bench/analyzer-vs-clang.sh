#!/usr/bin/env bash
# tests/bench/analyzer-vs-clang.sh - how much slower is `subcheck scan` than parsing alone?
#
# On the same translation units (CPython's Modules/, database from cpython-modules-db.sh),
# with the same flags, the same parallelism and both build configurations (the second
# adds -DPy_GIL_DISABLED=1), it times, side by side and interleaved:
#   baseline  clang-19 -fsyntax-only -w over every unit, twice (gil, free-threaded), xargs -P J
#   subcheck  subcheck scan SRC/Modules -p DB -j J --format json --output /dev/null
# REPS times each (default 3) with /usr/bin/time, and prints the medians: wall seconds,
# CPU seconds (user+sys), peak RSS, and the wall-time ratio subcheck/baseline against the
# target (<= 1.5): PASS or MISS. Exits non-zero when a step fails (not for a MISS).
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HELPER=$HERE/cpython_compile_db.py
TARGET_RATIO=1.5

usage() {
    cat <<EOF
Usage: $PROG [--subcheck PATH] [--reps N] [--jobs J] [--every K] [--keep DIR]

  --subcheck PATH  the subcheck binary (default: \$SUBCHECK, else
                   what ci/subcheck-binary.sh prints)
  --reps N         repetitions of each side (default 3; the median is reported)
  --jobs J         parallelism of both sides (default 2)
  --every K        a subset: every K-th unit of the database (default 1: all of them),
                   for a quicker before/after comparison on a loaded machine
  --keep DIR       keep the raw timings and the sanity-check report in DIR

Environment: SUBCHECK, SUBCHECK_CACHE, CC (default clang-19), PYTHON (default python3).
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

CACHE_ROOT=${SUBCHECK_CACHE:-$HOME/.cache/subcheck}
subcheck=${SUBCHECK:-$(bash "$(dirname "${BASH_SOURCE[0]}")/../../ci/subcheck-binary.sh")}
reps=3
jobs=2
every=1
keep=
while (($#)); do
    case $1 in
        --subcheck) (($# >= 2)) || die "--subcheck needs a path"; subcheck=$2; shift 2 ;;
        --reps) (($# >= 2)) || die "--reps needs a number"; reps=$2; shift 2 ;;
        --jobs) (($# >= 2)) || die "--jobs needs a number"; jobs=$2; shift 2 ;;
        --every) (($# >= 2)) || die "--every needs a number"; every=$2; shift 2 ;;
        --keep) (($# >= 2)) || die "--keep needs a directory"; keep=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive number"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"
[[ $every =~ ^[1-9][0-9]*$ ]] || die "--every must be a positive number"
[[ -x $subcheck ]] || die "subcheck binary '$subcheck' not found or not executable (use --subcheck or SUBCHECK)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (Debian package 'time') is needed for wall time and peak RSS"
CC=${CC:-clang-19}
PYTHON=${PYTHON:-python3}
command -v "$CC" >/dev/null || die "'$CC' not found"

# ------------------------------------------------------------------ the database
db_output=$("$HERE/cpython-modules-db.sh" --jobs "$jobs") || die "cpython-modules-db.sh failed"
SRC=$(sed -n 's/^SRC=//p' <<<"$db_output")
DB=$(sed -n 's/^DB=//p' <<<"$db_output")
[[ -d $SRC/Modules && -f $DB/compile_commands.json ]] || die "no database from cpython-modules-db.sh"

work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
if ((every > 1)); then  # both sides read the same subset database
    mkdir -p "$work/subset"
    "$PYTHON" - "$DB/compile_commands.json" "$every" "$work/subset/compile_commands.json" <<'EOF'
import json, sys
entries = json.load(open(sys.argv[1]))
json.dump(entries[::int(sys.argv[2])], open(sys.argv[3], "w"), indent=1)
EOF
    DB=$work/subset
fi
units=$("$PYTHON" "$HELPER" baseline-commands "$DB/compile_commands.json" --cc "$CC" \
        --out "$work/baseline-commands.txt")

# ------------------------------------------------------------------ the two sides
# Each writes "wall user sys maxrss_kb" to its timing file (after a "Command exited with
# non-zero status N" line when the command's status is not 0).
TIME_FORMAT='%e %U %S %M'
wall_of() { tail -n 1 "$1" | cut -d' ' -f1; }

run_baseline() {  # $1: timing file
    # Every line is `cd DIR && clang-19 -fsyntax-only -w FLAGS FILE`, quoted for the shell.
    /usr/bin/time -f "$TIME_FORMAT" -o "$1" \
        xargs -d '\n' -n 1 -P "$jobs" sh -c 'eval "$1"' sh <"$work/baseline-commands.txt" \
        || die "baseline: clang-19 -fsyntax-only failed on a unit (see above)"
}

run_subcheck() {  # $1: timing file, $2: report file (default /dev/null)
    local status=0
    /usr/bin/time -f "$TIME_FORMAT" -o "$1" \
        "$subcheck" scan "$SRC/Modules" -p "$DB" -j "$jobs" --format json \
        --output "${2:-/dev/null}" --quiet || status=$?
    # 1 means "findings at or above --fail-on": a result, not a failure.
    ((status <= 1)) || die "subcheck scan exited with status $status"
}

log "$units baseline parses (gil + free-threaded) of $((units / 2)) units, $reps repetition(s), -j $jobs"
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# An untimed subcheck run first: it warms the page cache for both sides and shows that
# subcheck parsed every unit in both configurations, without diagnostics.
run_subcheck "$work/sanity.time" "$work/sanity.json"
read -r parsed total diagnostics < <("$PYTHON" - "$work/sanity.json" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
print(summary["units_parsed"], summary["units_total"], summary["diagnostics"])
EOF
)
log "subcheck parsed $parsed of $total units (both configurations), $diagnostics diagnostic(s)"
((parsed == units && total == units)) \
    || die "subcheck parsed $parsed/$total units but the baseline has $units: not the same work"

for ((rep = 1; rep <= reps; rep++)); do
    # Alternate the order so neither side always runs on a warmer machine.
    if ((rep % 2)); then
        run_baseline "$work/baseline.$rep"; run_subcheck "$work/subcheck.$rep"
    else
        run_subcheck "$work/subcheck.$rep"; run_baseline "$work/baseline.$rep"
    fi
    log "rep $rep: baseline $(wall_of "$work/baseline.$rep") s, subcheck $(wall_of "$work/subcheck.$rep") s"
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ the table
"$PYTHON" - "$work" "$reps" "$TARGET_RATIO" "$units" <<'EOF'
import statistics, sys
work, reps, target, units = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])

def timings(side):
    rows = []
    for rep in range(1, reps + 1):
        with open(f"{work}/{side}.{rep}") as handle:
            # /usr/bin/time may add "Command exited with non-zero status N" before the numbers.
            wall, user, system, rss = handle.read().split()[-4:]
        rows.append((float(wall), float(user) + float(system), int(rss) / 1024))
    return [statistics.median(column) for column in zip(*rows)], rows

(base_wall, base_cpu, base_rss), base_rows = timings("baseline")
(sub_wall, sub_cpu, sub_rss), sub_rows = timings("subcheck")
ratio = sub_wall / base_wall
print(f"units parsed per side: {units} ({units // 2} files x 2 configurations), median of {reps}")
print(f"{'':10} {'wall s':>8} {'cpu s':>8} {'peak RSS MiB':>13}  all wall s")
for name, wall, cpu, rss, rows in (("baseline", base_wall, base_cpu, base_rss, base_rows),
                                    ("subcheck", sub_wall, sub_cpu, sub_rss, sub_rows)):
    every = " ".join(f"{row[0]:.1f}" for row in rows)
    print(f"{name:10} {wall:8.1f} {cpu:8.1f} {rss:13.0f}  {every}")
print(f"ratio subcheck/baseline: wall {ratio:.2f}, cpu {sub_cpu / base_cpu:.2f} "
      f"(target wall <= {target}): {'PASS' if ratio <= target else 'MISS'}")
print("peak RSS: baseline = the largest single clang-19 process (GNU time reports the "
      "largest child); subcheck = the whole scanning process")
EOF
