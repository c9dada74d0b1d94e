#!/usr/bin/env bash
# tests/bench/prober-vs-naive.sh - how much faster is subcheck's prober than the naive way?
#
# Probes every lib-dynload module of one interpreter (default pyenv's 3.13.0, about 70
# modules) with every probe but stress, two ways, side by side and interleaved:
#   subcheck  subcheck probe LIB-DYNLOAD --python PY --no-stress --format json --jobs J
#             (one zygote per interpreter, one forked child per module and probe)
#   naive     one `python -I -c SNIPPET MODULE PROBE` process per module and probe, J at a
#             time (xargs -P J), the snippets doing the same work as the probes:
#               main      import in the main interpreter
#               isolated  import in main, then in an isolated subinterpreter (3.12:
#                         _xxsubinterpreters.create(isolated=True); 3.13+:
#                         _interpreters.create(_interpreters.new_config('isolated'))), then
#                         compare id() of every module attribute across the two
#               shared    import in main, then in a shared-GIL subinterpreter with
#                         check_multi_interp_extensions on (the "legacy" check)
#               gil       free-threaded only: sys._is_gil_enabled() before and after
#             Every probe for every module: the naive way has no results to decide from.
#             subcheck runs fewer children (one combined child per module for the fresh
#             isolated, main and isolated imports when all of them succeed, the separate
#             probes only for the others; the shared-GIL import only when the isolated one
#             was refused); the report says how many each side started.
# Both sides get a warm-up run first (it builds and caches subcheck's probe host and warms
# the page cache), then REPS timed runs each (default 3); it prints the medians and the
# ratio naive/subcheck against the target (>= 5): PASS or MISS. Exits non-zero when a step
# fails (not for a MISS). --record writes the figures into docs/prober-results.md.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DOC=$REPO/docs/prober-results.md
TARGET_RATIO=5

usage() {
    cat <<EOF
Usage: $PROG [--python PY] [--subcheck PATH] [--reps N] [--jobs J] [--timeout S] [--keep DIR] [--record]

  --python PY      the interpreter whose lib-dynload is probed
                   (default \${PYENV_ROOT:-\$HOME/.pyenv}/versions/3.13.0/bin/python3)
  --subcheck PATH  the subcheck binary (default: \$SUBCHECK, else
                   what ci/subcheck-binary.sh prints)
  --reps N         timed runs of each side (default 3; the median is reported)
  --jobs J         processes at once, both sides (default 2)
  --timeout S      seconds per naive process and per subcheck probe child (default 20)
  --keep DIR       keep subcheck's JSON reports and the naive results in DIR
  --record         write the figures into docs/prober-results.md (between its bench markers)
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

CACHE_ROOT=${SUBCHECK_CACHE:-$HOME/.cache/subcheck}
python=${PYENV_ROOT:-$HOME/.pyenv}/versions/3.13.0/bin/python3
subcheck=${SUBCHECK:-$(bash "$(dirname "${BASH_SOURCE[0]}")/../../ci/subcheck-binary.sh")}
reps=3
jobs=2
timeout_s=20
keep=
record=0
while (($#)); do
    case $1 in
        --python) (($# >= 2)) || die "--python needs a path"; python=$2; shift 2 ;;
        --subcheck) (($# >= 2)) || die "--subcheck needs a path"; subcheck=$2; shift 2 ;;
        --reps) (($# >= 2)) || die "--reps needs a number"; reps=$2; shift 2 ;;
        --jobs) (($# >= 2)) || die "--jobs needs a number"; jobs=$2; shift 2 ;;
        --timeout) (($# >= 2)) || die "--timeout needs seconds"; timeout_s=$2; shift 2 ;;
        --keep) (($# >= 2)) || die "--keep needs a directory"; keep=$2; shift 2 ;;
        --record) record=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive number"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"
[ -x "$python" ] || die "no interpreter at $python (use --python)"
[ -x "$subcheck" ] || die "no subcheck binary at $subcheck (use --subcheck; build it with cmake -DCMAKE_BUILD_TYPE=Release)"
"$subcheck" probe --help >/dev/null 2>&1 || die "$subcheck has no 'probe' command yet"

work=$(mktemp -d "${TMPDIR:-/tmp}/subcheck-bench-prober.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- what to probe -------------------------------------------------------------------

read -r version free_threaded dynload < <("$python" -I -c '
import sys, sysconfig
print("%d.%d.%d" % sys.version_info[:3], int(bool(sysconfig.get_config_var("Py_GIL_DISABLED"))),
      sysconfig.get_config_var("DESTSHARED"))')
# Module names: the files whose suffix this interpreter loads, as the prober finds them.
mapfile -t modules < <("$python" -I -c '
import os, sys, importlib.machinery as m
names = set()
for entry in os.listdir(sys.argv[1]):
    for suffix in m.EXTENSION_SUFFIXES:
        stem = entry[: -len(suffix)]
        if entry.endswith(suffix) and "." not in stem:
            names.add(stem)
            break
print("\n".join(sorted(names)))' "$dynload")
((${#modules[@]})) || die "no extension modules in $dynload"
probes=(main isolated shared)
((free_threaded)) && probes+=(gil)
log "CPython $version ($([ "$free_threaded" = 1 ] && echo free-threaded || echo GIL)), ${#modules[@]} modules in $dynload, probes: ${probes[*]}, jobs $jobs"

# --- the naive way ---------------------------------------------------------------------

# One process per module and probe. Prints one line: module, probe, what happened.
read -r -d '' NAIVE_SNIPPET <<'PY' || true
import os, sys, json
name, probe = sys.argv[1], sys.argv[2]
result = {"module": name, "probe": probe}
def ids_code(path):
    # What the subinterpreter sees: the id() of each attribute of its copy of the module.
    return ("import json, %s as m\nwith open(%r, 'w') as f: json.dump({k: id(v) for k, v in vars(m).items()}, f)"
            % (name, path))
def in_subinterpreter(isolated, code):
    if sys.version_info >= (3, 13):
        import _interpreters as interpreters
        config = (interpreters.new_config("isolated") if isolated else
                  interpreters.new_config("legacy", check_multi_interp_extensions=True))
        interp = interpreters.create(config)
        failure = interpreters.exec(interp, code)
        interpreters.destroy(interp)
        return None if failure is None else "%s: %s" % (failure.type.__name__, failure.msg)
    if isolated:
        import _xxsubinterpreters as interpreters
        interp = interpreters.create(isolated=True)
        try:
            interpreters.run_string(interp, code)
            return None
        except Exception as e:
            return str(e)
        finally:
            interpreters.destroy(interp)
    import _testcapi
    status = _testcapi.run_in_subinterp_with_config(
        code, use_main_obmalloc=True, allow_fork=True, allow_exec=True, allow_threads=True,
        allow_daemon_threads=True, check_multi_interp_extensions=True, gil=1)
    return None if status == 0 else "refused (see stderr)"
try:
    gil_before = sys._is_gil_enabled() if probe == "gil" else None
    module = __import__(name)
    if probe == "gil":
        result["gil"] = [gil_before, sys._is_gil_enabled()]
    elif probe == "isolated":
        import tempfile
        with tempfile.TemporaryDirectory() as scratch:
            ids_file = os.path.join(scratch, "ids.json")
            result["error"] = in_subinterpreter(True, ids_code(ids_file))
            sub_ids = json.load(open(ids_file)) if os.path.exists(ids_file) else {}
        result["shared_objects"] = sorted(k for k, v in vars(module).items() if sub_ids.get(k) == id(v))
    elif probe == "shared":
        result["error"] = in_subinterpreter(False, "import " + name)
except BaseException as e:
    result["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(result), flush=True)
PY

naive_list=$work/naive-commands
for module in "${modules[@]}"; do
    for probe in "${probes[@]}"; do printf '%s %s\n' "$module" "$probe"; done
done >"$naive_list"
naive_count=$(wc -l <"$naive_list")

run_naive() {  # $1: results file
    # Every process gets a fresh scratch working directory and HOME, like a probe child.
    (cd "$work" && HOME=$work xargs -P "$jobs" -n 2 -- timeout "$timeout_s" "$python" -I -c "$NAIVE_SNIPPET" \
        <"$naive_list" >"$1" 2>"$1.stderr") || true  # a module that fails is a result, not a bench failure
    local answered
    answered=$(grep -c '^{' "$1" || true)
    ((answered >= naive_count * 9 / 10)) || die "the naive run answered only $answered of $naive_count (see $1.stderr)"
}

# --- subcheck --------------------------------------------------------------------------

# Options the CLI may or may not have: pass them only when its help lists them.
subcheck_options=()
probe_help=$("$subcheck" probe --help 2>&1 || true)
grep -q -- '--jobs' <<<"$probe_help" && subcheck_options+=(--jobs "$jobs")
grep -q -- '--timeout' <<<"$probe_help" && subcheck_options+=(--timeout "$timeout_s")

run_subcheck() {  # $1: JSON report file
    local status=0
    "$subcheck" probe "$dynload" --python "$python" --no-stress --format json "${subcheck_options[@]}" \
        >"$1" 2>"$1.stderr" || status=$?
    # Exit status 1 means "findings" (modules that are not supported), not a failure.
    ((status <= 1)) || die "subcheck probe exited $status: $(tail -n 5 "$1.stderr")"
    local reported
    reported=$("$python" -I -c '
import json, sys
def reports(node):
    if isinstance(node, dict):
        if {"module", "subinterpreters", "free_threading"} <= node.keys():
            return 1
        return sum(reports(v) for v in node.values())
    if isinstance(node, list):
        return sum(reports(v) for v in node)
    return 0
print(reports(json.load(open(sys.argv[1]))))' "$1")
    ((reported == ${#modules[@]})) || die "subcheck reported $reported modules, expected ${#modules[@]} (see $1)"
}

# How many probe children subcheck started: one piece of evidence each, but results split
# out of another child ("split_from": a clean combined child's parts, the gil measurement of
# an isolated child) count once per child they came from.
count_subcheck_children() {  # $1: JSON report file
    "$python" -I -c '
import json, sys
def children(node):
    if isinstance(node, dict):
        if {"module", "subinterpreters", "free_threading"} <= node.keys():
            evidence = node.get("evidence", [])
            own = [e for e in evidence if not e.get("split_from")]
            parents = {e["split_from"] for e in evidence if e.get("split_from")}
            return len(own) + len(parents - {e.get("probe") for e in own})
        return sum(children(v) for v in node.values())
    if isinstance(node, list):
        return sum(children(v) for v in node)
    return 0
print(children(json.load(open(sys.argv[1]))))' "$1"
}

# --- timing ----------------------------------------------------------------------------

now() { date +%s.%N; }
seconds_since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.3f", end - start }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

log "warm-up (builds and caches the probe host; warms the page cache)"
warm_start=$(now)
run_subcheck "$work/subcheck-warmup.json"
log "  subcheck warm-up: $(seconds_since "$warm_start") s"
run_naive "$work/naive-warmup.jsonl"

naive_times=() subcheck_times=()
for ((rep = 1; rep <= reps; rep++)); do
    start=$(now); run_naive "$work/naive-$rep.jsonl"; naive_times+=("$(seconds_since "$start")")
    start=$(now); run_subcheck "$work/subcheck-$rep.json"; subcheck_times+=("$(seconds_since "$start")")
    log "  run $rep/$reps: naive ${naive_times[-1]} s, subcheck ${subcheck_times[-1]} s"
done
[ -z "$keep" ] || { mkdir -p "$keep" && cp "$work"/*.json "$work"/*.jsonl "$work"/*.stderr "$keep"/; }

naive_median=$(median "${naive_times[@]}")
subcheck_median=$(median "${subcheck_times[@]}")
ratio=$(awk -v n="$naive_median" -v s="$subcheck_median" 'BEGIN { printf "%.1f", n / s }')
# Each run's own ratio too: on a busy machine the two sides of one run share its load.
run_ratios=()
for ((i = 0; i < reps; i++)); do
    run_ratios+=("$(awk -v n="${naive_times[i]}" -v s="${subcheck_times[i]}" 'BEGIN { printf "%.1f", n / s }')")
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
verdict=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "PASS" : "MISS" }')
probe_count=$((${#modules[@]} * ${#probes[@]}))
subcheck_children=$(count_subcheck_children "$work/subcheck-1.json")

cat <<EOF

prober vs naive: CPython $version, ${#modules[@]} lib-dynload modules x ${#probes[@]} probes (${probes[*]}) = $probe_count checks, jobs $jobs, $reps runs
  naive     ${naive_median} s  (median of ${naive_times[*]}; $probe_count python -c processes, one per module and probe)
  subcheck  ${subcheck_median} s  (median of ${subcheck_times[*]}; subcheck probe --no-stress, $subcheck_children probe children)
  ratio     ${ratio}x  (target >= ${TARGET_RATIO}x): $verdict; per run: ${run_ratios[*]}; load average $load
EOF

if ((record)); then
    begin='<!-- bench:begin (generated by tests/bench/prober-vs-naive.sh --record) -->'
    end='<!-- bench:end -->'
    [ -f "$DOC" ] || printf '# Prober results\n\n%s\n%s\n' "$begin" "$end" >"$DOC"
    grep -qF "$begin" "$DOC" || printf '\n%s\n%s\n' "$begin" "$end" >>"$DOC"
    section=$work/section.md
    cat >"$section" <<EOF
$begin

Measured $(date +%Y-%m-%d) on $(nproc) cores by \`tests/bench/prober-vs-naive.sh --jobs $jobs --reps $reps --record\`:
CPython $version ($python), ${#modules[@]} lib-dynload modules × ${#probes[@]} probes (${probes[*]}) = $probe_count checks, $jobs at a time.

| side | wall time (median) | runs |
| --- | --- | --- |
| naive: one \`python -I -c\` per module and probe ($probe_count processes) | ${naive_median} s | ${naive_times[*]} |
| \`subcheck probe --no-stress\` ($subcheck_children probe children forked from one host) | ${subcheck_median} s | ${subcheck_times[*]} |
| **ratio naive / subcheck** | **${ratio}×** (target ≥ ${TARGET_RATIO}×: $verdict) | per run: ${run_ratios[*]} |

Load average at the end: $load (other jobs on the machine slow both sides, not always alike).

$end
EOF
    awk -v begin="$begin" -v end="$end" -v section="$section" '
        $0 == begin { while ((getline line < section) > 0) print line; skipping = 1; next }
        $0 == end { skipping = 0; next }
        !skipping { print }' "$DOC" >"$work/doc.md"
    cp "$work/doc.md" "$DOC"
    log "recorded in $DOC"
fi
