#!/usr/bin/env bash
# ci/build-cpython.sh - build CPython 3.13 twice (the default GIL build and the
# free-threaded "t" build) from the upstream tarball inside Debian trixie's
# python3.13 source package, into a cache outside the repository:
#
#   $CACHE/cpython/<version>/     default build       (bin/python3, bin/python3.13)
#   $CACHE/cpython/<version>t/    free-threaded build (bin/python3, bin/python3.13t)
#
# Both are --enable-shared with an rpath to their own lib/, so they run with no
# LD_LIBRARY_PATH, and both carry CPython's test modules (_testcapi,
# _testsinglephase, _testmultiphase, ...) which the prober's tests import.
# A prefix is complete if and only if it holds the stamp file, written last,
# after a smoke check; a later run finds the stamp and does nothing.
#
# See ci/README.md ("Interpreters") or run with --help.
set -euo pipefail

PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Bump when the way a prefix is built changes, so old prefixes get rebuilt.
RECIPE_ID=1
STAMP_NAME=subcheck-build.stamp

usage() {
    cat <<EOF
Usage: $PROG [--jobs N] [--source DIR] [--force] [VARIANT...]

Build CPython from Debian trixie's python3.13 source package (fetched with
ci/fetch-debian-source.sh) and install it under the cache, once per variant:
  default         \$CACHE/cpython/<version>/    --enable-shared
  free-threaded   \$CACHE/cpython/<version>t/   --enable-shared --disable-gil
Both variants are built when none is given. On success the prefix of every
requested variant is printed on stdout, one per line; progress goes to stderr.

A prefix that already holds its stamp file ($STAMP_NAME, written after
a passing smoke check) for the same version and configure options is skipped.

Options:
  --jobs N       parallel make jobs (default: nproc = $(nproc 2>/dev/null || echo 1))
  --source DIR   build this CPython source tree instead of fetching python3.13
  --force        rebuild even when the stamp says the prefix is complete
  -h, --help     this help

Environment:
  SUBCHECK_CACHE  cache root (default: \$HOME/.cache/subcheck)
Logs: \$CACHE/cpython/logs/<version>[t].log (the tail is printed on failure).
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- arguments
jobs=$(nproc 2>/dev/null || echo 1)
source_dir=
force=0
variants=()
while (($#)); do
    case $1 in
        --jobs|-j) (($# >= 2)) || die "$1 needs a number"; jobs=$2; shift 2 ;;
        --jobs=*) jobs=${1#--jobs=}; shift ;;
        --source) (($# >= 2)) || die "--source needs a directory"; source_dir=$2; shift 2 ;;
        --source=*) source_dir=${1#--source=}; shift ;;
        --force) force=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option '$1' (see --help)" ;;
        default|free-threaded) variants+=("$1"); shift ;;
        *) die "unknown variant '$1' (expected 'default' or 'free-threaded')" ;;
    esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, got '$jobs'"
((${#variants[@]})) || variants=(default free-threaded)

: "${HOME:?HOME is not set}"
CACHE_ROOT=${SUBCHECK_CACHE:-$HOME/.cache/subcheck}
mkdir -p "$CACHE_ROOT/cpython/logs" || die "cannot create '$CACHE_ROOT/cpython'"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd -P)
CPY_ROOT=$CACHE_ROOT/cpython

# A Python environment meant for some other interpreter must not leak into the
# build (setup scripts run the freshly built python) or into the smoke check.
unset PYTHONHOME PYTHONPATH PYTHONSTARTUP PYTHONUSERBASE PYTHON_GIL PYTHONSAFEPATH

# ------------------------------------------------------------- source tree
find_source() {
    if [[ -n $source_dir ]]; then
        [[ -d $source_dir ]] || die "--source '$source_dir' is not a directory"
        (cd "$source_dir" && pwd -P)
        return
    fi
    local out
    out=$(bash "$SCRIPT_DIR/fetch-debian-source.sh" python3.13) \
        || die "could not fetch Debian's python3.13 source (see ci/fetch-debian-source.sh output above)"
    printf '%s\n' "$out" | tail -n 1
}

# "3.13.5" from Include/patchlevel.h
read_version() {
    local v
    v=$(sed -n 's/^#define[[:space:]]*PY_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' "$1/Include/patchlevel.h" 2>/dev/null)
    [[ $v =~ ^3\.[0-9]+\.[0-9]+ ]] || die "no PY_VERSION in '$1/Include/patchlevel.h' - is '$1' a CPython source tree?"
    printf '%s\n' "$v"
}

# ----------------------------------------------------- per-variant settings
prefix_for() {  # $1 variant
    case $1 in default) echo "$CPY_ROOT/$VERSION" ;; free-threaded) echo "$CPY_ROOT/${VERSION}t" ;; esac
}

configure_args_for() {  # $1 variant, $2 prefix; one argument a line
    printf '%s\n' "--prefix=$2" --enable-shared
    [[ $1 == free-threaded ]] && printf '%s\n' --disable-gil
    # The rpath makes bin/python3 find its own libpython without LD_LIBRARY_PATH.
    # --disable-new-dtags writes DT_RPATH, which (unlike DT_RUNPATH) wins over an
    # LD_LIBRARY_PATH that points at another libpython3.13.so.1.0 (pyenv's, say).
    printf '%s\n' "LDFLAGS=-Wl,-rpath,$2/lib -Wl,--disable-new-dtags"
}

# What a stamp must match for a prefix to count as built: recipe, version and
# configure options (the source path is informational: every Debian revision
# of one upstream version ships the same orig tarball).
recipe_for() {  # $1 variant, $2 prefix
    printf 'recipe %s\nversion %s\nvariant %s\n' "$RECIPE_ID" "$VERSION" "$1"
    configure_args_for "$1" "$2" | sed 's/^/configure /'
}

is_built() {  # $1 variant, $2 prefix
    local stamp=$2/$STAMP_NAME
    [[ -f $stamp && -x $2/bin/python3 ]] || return 1
    [[ $(sed -n '/^# end of recipe$/q;p' "$stamp") == "$(recipe_for "$1" "$2")" ]]
}

# ------------------------------------------------------ build dependencies
# What a working build needs, plus the libraries of the stdlib modules people
# expect (ssl, ctypes, sqlite3, compression, readline, uuid, curses). Only the
# compiler and make are hard requirements: without the -dev packages CPython
# still builds, just without those optional modules (the smoke check lists them).
BUILD_DEBS=(gcc make pkg-config libc6-dev
            libffi-dev zlib1g-dev libssl-dev libbz2-dev liblzma-dev
            libsqlite3-dev libreadline-dev uuid-dev libncurses-dev)

ensure_build_deps() {
    local deb missing=() sudo=
    for deb in "${BUILD_DEBS[@]}"; do
        dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q 'install ok installed' || missing+=("$deb")
    done
    if ((${#missing[@]})); then
        log "installing build dependencies: ${missing[*]}"
        if ((EUID != 0)); then
            command -v sudo >/dev/null 2>&1 && sudo=sudo
        fi
        if { [[ -n $sudo ]] || ((EUID == 0)); } \
            && $sudo apt-get update -qq >&2 \
            && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
        then
            log "build dependencies installed"
        else
            log "warning: could not install ${missing[*]} (needs root or sudo and a reachable Debian archive);"
            log "         building anyway - modules that need them will be missing"
        fi
    fi
    local tool
    for tool in cc make; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found and not installable: install gcc and make"
    done
}

# ------------------------------------------------------------------- steps
STEP_TIMES=()

# run_step NAME LOG COMMAND...: run COMMAND with its output appended to LOG;
# on failure print the log's tail and stop.
run_step() {
    local name=$1 logfile=$2 t0=$SECONDS
    shift 2
    log "  $name ..."
    printf '\n=== %s  %s\n=== $ %s\n' "$(date -u +%FT%TZ)" "$name" "$*" >>"$logfile"
    if ! "$@" >>"$logfile" 2>&1; then
        printf '%s: ----- last 40 lines of %s -----\n' "$PROG" "$logfile" >&2
        tail -n 40 "$logfile" | sed 's/^/  | /' >&2
        die "$name failed after $((SECONDS - t0))s; full log: $logfile"
    fi
    STEP_TIMES+=("$name $((SECONDS - t0))s")
    log "  $name done in $((SECONDS - t0))s"
}

configure_in() {  # $1 build dir, $2 source dir, rest: configure arguments
    local build=$1 src=$2
    shift 2
    (cd "$build" && "$src/configure" "$@")
}

# The smoke check, run by the new interpreter with a clean environment.
# argv: expected version, expected Py_GIL_DISABLED (0 or 1).
read -r -d '' SMOKE_PY <<'EOF' || true
import importlib, sys, sysconfig
want_version, want_gil_disabled = sys.argv[1], int(sys.argv[2])
problems = []
version = "%d.%d.%d" % sys.version_info[:3]
print("sys.version:", sys.version.replace("\n", " "))
print("sys.executable:", sys.executable)
if version != want_version:
    problems.append("version %s, expected %s" % (version, want_version))
gil_disabled = int(sysconfig.get_config_var("Py_GIL_DISABLED") or 0)
print("Py_GIL_DISABLED:", gil_disabled)
if gil_disabled != want_gil_disabled:
    problems.append("Py_GIL_DISABLED is %d, expected %d" % (gil_disabled, want_gil_disabled))
print("EXT_SUFFIX:", sysconfig.get_config_var("EXT_SUFFIX"))
print("LDLIBRARY:", sysconfig.get_config_var("LDLIBRARY"))
if want_gil_disabled:
    # Checked before any import below: the test modules re-enable the GIL.
    print("GIL enabled at start-up:", sys._is_gil_enabled())
    if sys._is_gil_enabled():
        problems.append("the free-threaded build starts with the GIL enabled")
for name in ("_interpreters", "_testinternalcapi", "_testsinglephase",
             "_testmultiphase", "_testcapi"):
    try:
        importlib.import_module(name)
        print("import %s: ok" % name)
    except Exception as e:
        print("import %s: FAILED: %r" % (name, e))
        problems.append("required module %s does not import: %r" % (name, e))
missing = []
for name in ("ssl", "_ctypes", "sqlite3", "zlib", "bz2", "lzma", "readline",
             "_uuid", "_curses", "_decimal", "pyexpat"):
    try:
        importlib.import_module(name)
    except Exception:
        missing.append(name)
print("optional modules missing:", ", ".join(missing) or "none")
if want_gil_disabled:
    print("GIL enabled after importing the test modules:", sys._is_gil_enabled())
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
EOF

smoke_check() {  # $1 variant, $2 prefix
    local variant=$1 prefix=$2 want_gil=0 lib
    [[ $variant == free-threaded ]] && want_gil=1
    local clean_env=(env -i "PATH=/usr/bin:/bin" "HOME=$HOME" "LANG=C.UTF-8")
    # docs/cpython-behaviour.md #17: the interpreter must find its own libpython by rpath.
    lib=$("${clean_env[@]}" ldd "$prefix/bin/python3" 2>&1 | awk '/libpython/ {print $3; exit}')
    printf 'ldd bin/python3: libpython => %s\n' "${lib:-(none)}"
    [[ $lib == "$prefix"/lib/* ]] || { echo "PROBLEM: bin/python3 does not resolve libpython from $prefix/lib"; return 1; }
    if [[ $variant == free-threaded ]]; then
        [[ -x $prefix/bin/python${VERSION%.*}t ]] \
            || { echo "PROBLEM: $prefix/bin/python${VERSION%.*}t is missing"; return 1; }
        printf 'bin/python%st: present\n' "${VERSION%.*}"
    fi
    printf 'python3-config --embed --libs: %s\n' "$("${clean_env[@]}" "$prefix/bin/python3-config" --embed --libs)"
    "${clean_env[@]}" "$prefix/bin/python3" -c "$SMOKE_PY" "$VERSION" "$want_gil" 2>&1
}

build_variant() {  # $1 variant
    local variant=$1 prefix name build logfile stamp t_start=$SECONDS
    local -a args
    prefix=$(prefix_for "$variant")
    name=$(basename "$prefix")
    build=$CPY_ROOT/build/$name
    logfile=$CPY_ROOT/logs/$name.log
    stamp=$prefix/$STAMP_NAME
    mapfile -t args < <(configure_args_for "$variant" "$prefix")
    STEP_TIMES=()

    log "building CPython $VERSION ($variant) into $prefix with make -j$jobs; log: $logfile"
    : >"$logfile"
    rm -f -- "$stamp"
    # A build dir left by a failed run is reused only if it was configured the
    # same way (make then resumes); anything else starts from scratch.
    if [[ ! -f $build/subcheck-recipe || $(cat "$build/subcheck-recipe") != "$(recipe_for "$variant" "$prefix")" ]] \
        || [[ ! -f $build/Makefile ]]; then
        rm -rf -- "$build"
        mkdir -p "$build"
        run_step configure "$logfile" configure_in "$build" "$SRC" "${args[@]}"
        recipe_for "$variant" "$prefix" >"$build/subcheck-recipe"
    else
        log "  reusing the configured build dir $build"
    fi
    # Remove any old prefix before make: the build's own ./python has the
    # prefix's lib/ as DT_RPATH, which beats the LD_LIBRARY_PATH the Makefile
    # sets, so a stale libpython there would be loaded instead of the new one.
    # (Installing over an old prefix could also leave stale files behind.)
    rm -rf -- "$prefix"
    run_step "make -j$jobs" "$logfile" make -C "$build" -j"$jobs"
    run_step "make install" "$logfile" make -C "$build" install

    local smoke_out
    log "  smoke check ..."
    if ! smoke_out=$(smoke_check "$variant" "$prefix"); then
        printf '%s\n' "$smoke_out" >>"$logfile"
        printf '%s\n' "$smoke_out" | sed 's/^/  | /' >&2
        die "smoke check of $prefix failed (output above; full log: $logfile)"
    fi
    printf '%s\n' "$smoke_out" >>"$logfile"
    printf '%s\n' "$smoke_out" | sed 's/^/  | /' >&2

    # The stamp is written last, atomically: its presence means "complete".
    {
        recipe_for "$variant" "$prefix"
        echo "# end of recipe"
        echo "source $SRC"
        echo "built $(date -u +%FT%TZ) on $(uname -m) with $(cc --version | head -n 1)"
        printf 'step %s\n' "${STEP_TIMES[@]}"
        echo "wall $((SECONDS - t_start))s"
        printf '%s\n' "$smoke_out" | sed 's/^/smoke /'
    } >"$stamp.tmp"
    mv -f -- "$stamp.tmp" "$stamp"
    # The build dir is only needed to resume a failed build; it is large.
    rm -rf -- "$build"
    rmdir -- "$CPY_ROOT/build" 2>/dev/null || true
    log "$variant: built in $((SECONDS - t_start))s (${STEP_TIMES[*]})"
}

# --------------------------------------------------------------------- main
SRC=$(find_source)
VERSION=$(read_version "$SRC")
if [[ -e $SRC/Makefile || -e $SRC/pyconfig.h ]]; then
    die "'$SRC' was configured in place; an out-of-tree build needs a clean tree (run 'make distclean' there)"
fi

deps_checked=0
for variant in "${variants[@]}"; do
    prefix=$(prefix_for "$variant")
    if ((!force)) && is_built "$variant" "$prefix"; then
        log "$variant: CPython $VERSION already built in $prefix"
        continue
    fi
    # One build per prefix at a time; a concurrent run that finished it first
    # leaves a stamp, checked again once the lock is held.
    exec {lock_fd}>"$CPY_ROOT/.$(basename "$prefix").lock"
    if ! flock -n "$lock_fd"; then
        log "$variant: another run is building $prefix; waiting for it"
        flock "$lock_fd"
    fi
    if ((!force)) && is_built "$variant" "$prefix"; then
        log "$variant: CPython $VERSION already built in $prefix (by a concurrent run)"
    else
        if ((!deps_checked)); then ensure_build_deps; deps_checked=1; fi
        build_variant "$variant"
    fi
    exec {lock_fd}>&-
done

for variant in "${variants[@]}"; do
    prefix_for "$variant"
done
