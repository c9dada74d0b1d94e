#!/usr/bin/env bash
# tests/bench/cpython-modules-db.sh - a compile_commands.json for CPython's Modules/,
# with the flags CPython's own build uses, for benchmarking and evaluating subcheck.
#
# Steps (each skipped when its output is already in the cache):
#   1. fetch the Debian trixie python3.13 source package (ci/fetch-debian-source.sh) and
#      extract its upstream tarball into CACHE/src (a clean tree: out-of-tree builds
#      refuse a source tree holding build artefacts);
#   2. run ./configure out of tree in CACHE/build (CC=clang-19; no make), so that
#      pyconfig.h, Makefile and Modules/Setup.stdlib exist;
#   3. `make -n build_all` prints every compiler invocation of a full build without
#      building anything; the ones whose source lies under Modules/ become
#      CACHE/db/compile_commands.json.all ("arguments" form, the compiler first);
#   4. every entry is checked with `clang-19 -fsyntax-only`; those that fail (a missing
#      third-party or generated header) are dropped, counted and listed with the reason,
#      the rest are CACHE/db/compile_commands.json.
# Finally the C files under Modules/ that define a PyInit_ function but are not in the
# database are listed (Windows/macOS-only modules, modules configure could not enable).
#
# CACHE is ${SUBCHECK_CACHE:-$HOME/.cache/subcheck}/bench/cpython-<version>.
# Prints, as its last lines, `SRC=...`, `BUILD=...` and `DB=...` (the directory holding
# compile_commands.json), for scripts such as analyzer-vs-clang.sh.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HELPER=$HERE/cpython_compile_db.py

usage() {
    cat <<EOF
Usage: $PROG [--force] [--jobs N]

Prepare (cached) a configured CPython 3.13 tree from Debian trixie's upstream tarball
and a verified compile_commands.json for its Modules/ directory.

  --force     redo the database (configure is redone only when its stamp is missing)
  --jobs N    parallel clang-19 -fsyntax-only checks (default 2)

Environment: SUBCHECK_CACHE (default \$HOME/.cache/subcheck), CC (default clang-19),
PYTHON (a python3 >= 3.8 to run the helper; default python3).
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

force=0
jobs=2
while (($#)); do
    case $1 in
        --force) force=1; shift ;;
        --jobs) (($# >= 2)) || die "--jobs needs a number"; jobs=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"

CC=${CC:-clang-19}
PYTHON=${PYTHON:-python3}
for tool in "$CC" "$PYTHON" make tar xz; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found"
done

# ------------------------------------------------------------- 1. the source tree
debian_tree=$("$REPO/ci/fetch-debian-source.sh" python3.13 | tail -n 1)
[[ -d $debian_tree ]] || die "ci/fetch-debian-source.sh python3.13 printed no directory"
tarball=$(ls "$(dirname "$debian_tree")/_downloads/$(basename "$debian_tree")"/*.orig.tar.* 2>/dev/null \
          | grep -v '\.asc$' | head -n 1 || true)
[[ -f $tarball ]] || die "no upstream tarball beside $debian_tree"
version=$(sed -n 's/^#define PY_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' "$debian_tree/Include/patchlevel.h")
[[ -n $version ]] || die "no PY_VERSION in $debian_tree/Include/patchlevel.h"

CACHE=${SUBCHECK_CACHE:-$HOME/.cache/subcheck}/bench/cpython-$version
SRC=$CACHE/src
BUILD=$CACHE/build
DB=$CACHE/db
mkdir -p "$CACHE" "$DB"

if [[ ! -f $SRC/.extracted ]]; then
    log "extracting $(basename "$tarball") into $SRC"
    rm -rf "$SRC" "$BUILD"
    mkdir -p "$SRC"
    tar -xf "$tarball" -C "$SRC" --strip-components=1
    touch "$SRC/.extracted"
fi

# ---------------------------------------------------------- 2. configure, no make
if [[ ! -f $BUILD/.configured ]]; then
    log "configuring CPython $version out of tree in $BUILD (about a minute)"
    rm -rf "$BUILD"
    mkdir -p "$BUILD"
    if ! (cd "$BUILD" && CC=$CC "$SRC/configure" >"$CACHE/configure.log" 2>&1); then
        tail -n 20 "$CACHE/configure.log" >&2
        die "configure failed; see $CACHE/configure.log"
    fi
    touch "$BUILD/.configured"
    rm -f "$DB/.complete"
fi
for generated in pyconfig.h Makefile Modules/Setup.stdlib; do
    [[ -f $BUILD/$generated ]] || die "$BUILD/$generated missing after configure"
done

# ------------------------------------------------ 3. the compile commands of the build
# $DB/.complete is written last, so an interrupted run is redone.
if ((force)) || [[ ! -f $DB/.complete ]]; then
    rm -f "$DB/.complete"
    # -n prints the recipes of a full build without running them; the stamp-style
    # targets that would recurse into make are not part of build_all.
    (cd "$BUILD" && make -n build_all) >"$CACHE/make-n.txt" 2>"$CACHE/make-n.err" \
        || { cat "$CACHE/make-n.err" >&2; die "make -n build_all failed"; }
    total=$("$PYTHON" "$HELPER" from-make "$CACHE/make-n.txt" --cc "$CC" \
        --build-dir "$BUILD" --src-dir "$SRC" --out "$DB/compile_commands.json.all")
    log "$total translation units under Modules/ in CPython's build recipe"

    # ---------------------------------------------------- 4. verify with clang -fsyntax-only
    log "checking each with $CC -fsyntax-only ($jobs at a time)"
    read -r passed dropped < <("$PYTHON" "$HELPER" verify "$DB/compile_commands.json.all" \
        --cc "$CC" --jobs "$jobs" --out-db "$DB/compile_commands.json.tmp" \
        --report "$DB/dropped.tsv")
    printf '%s\n' "$passed" >"$DB/passed.count"
    mv -f "$DB/compile_commands.json.tmp" "$DB/compile_commands.json"
    touch "$DB/.complete"
fi

passed=$(cat "$DB/passed.count")
dropped=$(wc -l <"$DB/dropped.tsv")
echo "translation units that pass $CC -fsyntax-only: $passed"
echo "translation units dropped: $dropped"
if ((dropped > 0)); then
    while IFS=$'\t' read -r file _ reason; do
        echo "  dropped ${file#"$SRC"/}: $reason"
    done <"$DB/dropped.tsv"
fi

{ read -r defining covered; mapfile -t uncovered; } \
    < <("$PYTHON" "$HELPER" pyinit-coverage "$DB/compile_commands.json" --src-dir "$SRC" \
        --setup "$BUILD/Modules/Setup.stdlib" --configure-log "$CACHE/configure.log")
echo "files under Modules/ defining PyInit_: $defining, in the database: $covered"
for file in "${uncovered[@]}"; do
    echo "  not in the database: $file"
done

echo "SRC=$SRC"
echo "BUILD=$BUILD"
echo "DB=$DB"
