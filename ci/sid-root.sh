#!/usr/bin/env bash
# ci/sid-root.sh - a Debian sid root (chroot) with CPython 3.14 and 3.15, their headers,
# sid's compiler and libclang, and subcheck's build dependencies; builds and tests subcheck
# inside it. sid's binaries need a newer glibc than bookworm's, hence the chroot.
#
#   ci/sid-root.sh ensure                 # build the root once (cached, pinned), else verify it
#   ci/sid-root.sh run [--src DIR] [--net] -- CMD...   # run CMD inside, with the mounts
#   ci/sid-root.sh test [--jobs N] [--junit FILE] [SRC] [-- CTEST-ARGS...]   # build subcheck (Debug), run ctest
#   ci/sid-root.sh pins [--write]         # current sid versions of the pinned packages
#   ci/sid-root.sh clean                  # delete the roots and build trees
#
# See ci/README.md ("sid root: 3.14 and 3.15") or run with --help.
set -euo pipefail

PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$SCRIPT_DIR/$PROG
# shellcheck source=ci/lib.sh
source "$SCRIPT_DIR/lib.sh"   # log, REPO_ROOT, SUBCHECK_CACHE
die() { log "error: $*"; exit 1; }

# Bump when the way a root is built changes, so old roots get rebuilt.
RECIPE_ID=1
STAMP_NAME=subcheck-root.stamp
MIRROR=${SUBCHECK_SID_MIRROR:-http://deb.debian.org/debian}
PIN_FILE=${SUBCHECK_SID_PINS:-$SCRIPT_DIR/sid-packages.txt}

# subcheck's build dependencies, unpinned (the equivalents of SUBCHECK_DEBS in lib.sh; the
# compiler, libclang, cmake, ninja and the Pythons are pinned in the pin file).
SID_DEBS=(
  pkg-config libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev libarchive-dev libelf-dev libxxhash-dev
  libseccomp-dev libssl-dev
  # the hook and Action tests (ci.pre_commit_hook, ci.action)
  git pre-commit python3-yaml
)
# Where things are inside the root.
IN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
IN_CACHE=/cache   # SUBCHECK_CACHE inside: the host's cache (3.13 builds, debian-bin) stays out

usage() {
    cat <<EOF
Usage: $PROG COMMAND [ARGS]

A Debian sid root with python3.14-dev and python3.15-dev, sid's g++ and libclang, and
subcheck's build dependencies, built with debootstrap and apt-get at the versions pinned
in ci/sid-packages.txt, cached in \$CACHE/sid-root/root-<hash>/ (hash of the pin file and
the recipe). Needs root (debootstrap, chroot, mounts). Progress goes to stderr.

Commands:
  ensure                      build the root if it is not there (about 2 min cold), else
                              check its stamp (well under a second); prints its path
  run [--src DIR] [--net] -- CMD...
                              run CMD in the root as root, with /proc, /dev, /tmp, the
                              source tree DIR (default: this repository) read-only at
                              /src, its build tree (the one 'test' uses) at /build,
                              \$CACHE/sid-root/cache at $IN_CACHE (SUBCHECK_CACHE);
                              --net: with the host's /etc/resolv.conf, for apt-get in a
                              root of your own (tests/bench/sid-audit.sh; never CI's)
  test [--jobs N] [--junit FILE] [SRC] [-- CTEST-ARGS...]
                              build subcheck (Debug) from SRC (default: this repository)
                              inside the root into \$CACHE/sid-root/build/, run ctest there
                              (--junit: copy its JUnit results to FILE)
  pins [--write]              print the pin file with sid's current versions (--write:
                              replace $PIN_FILE)
  clean                       delete every root, build tree and the inner cache

Environment:
  SUBCHECK_CACHE        cache root (default: \$HOME/.cache/subcheck)
  SUBCHECK_SID_MIRROR   Debian mirror (default: http://deb.debian.org/debian)
  SUBCHECK_SID_PINS     pin file (default: ci/sid-packages.txt)
EOF
}

# ------------------------------------------------------------- inside the namespace
# "__ns ROOT SRC BUILD CACHEDIR NET -- CMD...": run by the script itself under
# 'unshare --mount --propagation private', so every mount made here belongs to a private
# mount namespace and disappears with it, even when the run is killed with SIGKILL. The
# trap unmounts them in order on a normal exit, INT or TERM as well.
ns_main() {
    local root=$1 src=$2 build=$3 cachedir=$4 net=$5
    shift 5
    [[ ${1:-} == -- ]] && shift
    NS_MOUNTS=()
    ns_cleanup() {
        local i
        for ((i = ${#NS_MOUNTS[@]} - 1; i >= 0; i--)); do
            umount "${NS_MOUNTS[i]}" 2>/dev/null || umount -l "${NS_MOUNTS[i]}" 2>/dev/null || true
        done
        NS_MOUNTS=()
    }
    trap 'ns_cleanup' EXIT
    trap 'ns_cleanup; exit 130' INT
    trap 'ns_cleanup; exit 143' TERM
    ns_mount() {  # ns_mount TARGET MOUNT-ARGS...
        local target=$1
        shift
        mount "$@" "$target" || die "mount $* $target failed"
        NS_MOUNTS+=("$target")
    }
    ns_mount "$root/proc" -t proc proc
    ns_mount "$root/sys" -t sysfs -o ro,nosuid,nodev,noexec sysfs
    # A small /dev of its own: a tmpfs with the host's character devices bound in.
    ns_mount "$root/dev" -t tmpfs -o mode=755,nosuid,size=16m tmpfs
    local d
    for d in null zero full random urandom tty; do
        : >"$root/dev/$d"
        ns_mount "$root/dev/$d" --bind "/dev/$d"
    done
    mkdir -p "$root/dev/pts" "$root/dev/shm"
    ns_mount "$root/dev/pts" -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts
    ln -s pts/ptmx "$root/dev/ptmx"
    ns_mount "$root/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev tmpfs
    ln -s /proc/self/fd "$root/dev/fd"
    ln -s /proc/self/fd/0 "$root/dev/stdin"
    ln -s /proc/self/fd/1 "$root/dev/stdout"
    ln -s /proc/self/fd/2 "$root/dev/stderr"
    ns_mount "$root/tmp" -t tmpfs -o mode=1777,nosuid,nodev tmpfs
    if [[ $net == net ]]; then
        ns_mount "$root/etc/resolv.conf" --bind -o ro /etc/resolv.conf
    fi
    if [[ -n $src ]]; then
        ns_mount "$root/src" --bind "$src"
        mount -o remount,bind,ro "$root/src" || die "cannot make $root/src read-only"
    fi
    [[ -z $build ]] || ns_mount "$root/build" --bind "$build"
    [[ -z $cachedir ]] || ns_mount "$root$IN_CACHE" --bind "$cachedir"
    local rc=0
    chroot "$root" /usr/bin/env -i PATH="$IN_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        SUBCHECK_CACHE="$IN_CACHE" DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
    exit "$rc"
}

if [[ ${1:-} == __ns ]]; then
    shift
    ns_main "$@"
fi

# ------------------------------------------------------------------- the host side
((EUID == 0)) || die "needs root (debootstrap, chroot and mounts); run it with sudo"
for tool in unshare chroot mount flock sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found"
done
[[ -r $PIN_FILE ]] || die "pin file '$PIN_FILE' not readable"

mkdir -p "$SUBCHECK_CACHE/sid-root"
SID_CACHE=$(cd "$SUBCHECK_CACHE/sid-root" && pwd -P)
PIN_HASH=$( { echo "recipe $RECIPE_ID"; echo "mirror $MIRROR"; printf '%s\n' "${SID_DEBS[@]}";
              grep -v '^[[:space:]]*\(#\|$\)' "$PIN_FILE"; } | sha256sum | cut -c1-12)
ROOT=$SID_CACHE/root-$PIN_HASH
STAMP=$ROOT/$STAMP_NAME

# The pinned packages, "name=version", and the LLVM major and g++ version they name.
read_pins() {
    PINS=()
    local name version extra
    while read -r name version extra; do
        [[ -z $name || $name == \#* ]] && continue
        [[ -n $version && -z $extra ]] || die "$PIN_FILE: expected 'PACKAGE VERSION', got '$name $version $extra'"
        PINS+=("$name=$version")
    done <"$PIN_FILE"
    ((${#PINS[@]})) || die "$PIN_FILE pins nothing"
    LLVM_MAJOR=$(printf '%s\n' "${PINS[@]}" | sed -n 's/^libclang-\([0-9][0-9]*\)-dev=.*/\1/p' | head -n 1)
    GCC_MAJOR=$(printf '%s\n' "${PINS[@]}" | sed -n 's/^g++-\([0-9][0-9]*\)=.*/\1/p' | head -n 1)
    [[ -n $LLVM_MAJOR ]] || die "$PIN_FILE has no libclang-NN-dev line"
    [[ -n $GCC_MAJOR ]] || die "$PIN_FILE has no g++-NN line"
}
read_pins

# Mounts under the cache left in the host's namespace (by a debootstrap or chroot run by
# hand, or an older script) are taken down before anything else; the script's own mounts
# live in private namespaces and cannot outlive it.
sweep_stale_mounts() {
    local mp
    awk '{print $5}' /proc/self/mountinfo | while read -r mp; do
        mp=$(printf '%b' "${mp//\\/\\0}")   # mountinfo escapes spaces etc. as \040
        if [[ $mp == "$SID_CACHE"/* ]]; then printf '%s\n' "$mp"; fi
    done | sort -r | while read -r mp; do
        log "unmounting stale $mp"
        umount "$mp" 2>/dev/null || umount -l "$mp" || true
    done
}

TMP_DIRS=()
host_cleanup() {
    local d
    for d in "${TMP_DIRS[@]}"; do
        [[ -n $d && -e $d ]] && rm -rf --one-file-system -- "$d"
    done
    sweep_stale_mounts
}
trap 'host_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# in_root ROOT SRC BUILD CACHEDIR NET CMD...: CMD inside ROOT, in a private mount namespace.
in_root() {
    local root=$1 src=$2 build=$3 cachedir=$4 net=$5
    shift 5
    unshare --mount --propagation private -- bash "$SELF" __ns "$root" "$src" "$build" "$cachedir" "$net" -- "$@"
}

exec 9>"$SID_CACHE/.lock"
lock_exclusive() { flock -w 3600 9 || die "timed out waiting for $SID_CACHE/.lock"; }
lock_shared() { flock -s -w 3600 9 || die "timed out waiting for $SID_CACHE/.lock"; }

is_built() { [[ -f $STAMP ]] && [[ $(sed -n '/^# end of recipe$/q;p' "$STAMP") == "$(recipe)" ]]; }
recipe() {
    printf 'recipe %s\nkey %s\nmirror %s\n' "$RECIPE_ID" "$PIN_HASH" "$MIRROR"
    printf 'pin %s\n' "${PINS[@]}"
    printf 'deb %s\n' "${SID_DEBS[@]}"
}

# debootstrap's minimal sid into DIR, plus the apt and dpkg settings the root needs.
bootstrap_base() {
    local dir=$1 t0=$SECONDS
    command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found: apt-get install debootstrap (it is in SUBCHECK_DEBS)"
    log "debootstrap --variant=minbase sid into $dir (from $MIRROR)"
    # debootstrap mounts /proc and /sys in the target itself: a private namespace again.
    if ! unshare --mount --propagation private -- \
        debootstrap --variant=minbase sid "$dir" "$MIRROR" >"$dir.debootstrap.log" 2>&1; then
        tail -n 30 "$dir.debootstrap.log" | sed 's/^/  | /' >&2
        die "debootstrap failed (full log: $dir.debootstrap.log)"
    fi
    rm -f -- "$dir.debootstrap.log"
    # The mirror's sid Release may be past its Valid-Until; debootstrap does not check it,
    # apt does. These settings live in the root's own /etc/apt, never the host's.
    cat >"$dir/etc/apt/apt.conf.d/99subcheck" <<'EOF'
// Written by ci/sid-root.sh.
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
Acquire::Retries "3";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
    # Documentation and translations are not needed to build and test.
    mkdir -p "$dir/etc/dpkg/dpkg.cfg.d"
    printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
        'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
        'path-exclude=/usr/share/locale/*' >"$dir/etc/dpkg/dpkg.cfg.d/01subcheck"
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"   # no services start
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    # A plain file for /etc/resolv.conf to be bound over (a symlink would be followed on the host).
    rm -f -- "$dir/etc/resolv.conf"
    : >"$dir/etc/resolv.conf"
    mkdir -p "$dir/src" "$dir/build" "$dir$IN_CACHE"
    BOOTSTRAP_S=$((SECONDS - t0))
    log "debootstrap done in ${BOOTSTRAP_S}s"
}

# apt-get update inside DIR; then the pinned versions the archive no longer has, if any,
# are listed with what it has now, and the script stops.
check_pins() {
    local dir=$1 pin name version have missing=()
    in_root "$dir" "" "" "" net apt-get -q update >"$dir.apt.log" 2>&1 \
        || { sed 's/^/  | /' "$dir.apt.log" >&2; die "apt-get update inside the root failed"; }
    for pin in "${PINS[@]}"; do
        name=${pin%%=*}; version=${pin#*=}
        have=$(in_root "$dir" "" "" "" no apt-cache madison "$name" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}')
        if ! grep -qxF -- "$version" <<<"$have"; then
            missing+=("$name $version (sid has: $(tr '\n' ' ' <<<"${have:-nothing}"))")
        fi
    done
    if ((${#missing[@]})); then
        log "the archive no longer has these pinned versions (from $PIN_FILE):"
        printf '  %s\n' "${missing[@]}" >&2
        log "sid has moved on. Update the pins and commit the file:"
        log "  ci/sid-root.sh pins --write    # then check the diff (a new LLVM or g++ major"
        log "                                 # needs its libclang-NN-dev/clang-NN/g++-NN lines renamed)"
        die "pinned versions missing from $MIRROR sid"
    fi
    rm -f -- "$dir.apt.log"
}

build_root() {
    local t0=$SECONDS tmp install_s manifest
    tmp=$(mktemp -d "$SID_CACHE/.tmp-root-$PIN_HASH.XXXXXX")
    TMP_DIRS+=("$tmp" "$tmp.apt.log" "$tmp.debootstrap.log")
    rmdir -- "$tmp"
    bootstrap_base "$tmp"
    check_pins "$tmp"
    log "installing in the root: ${PINS[*]} ${SID_DEBS[*]}"
    local t1=$SECONDS
    if ! in_root "$tmp" "" "" "" net apt-get -q -y install "${PINS[@]}" "${SID_DEBS[@]}" >"$tmp.apt.log" 2>&1; then
        tail -n 40 "$tmp.apt.log" | sed 's/^/  | /' >&2
        die "apt-get install inside the root failed (see above)"
    fi
    in_root "$tmp" "" "" "" no apt-get clean
    install_s=$((SECONDS - t1))
    log "packages installed in ${install_s}s"
    # What must work inside before the root counts as built.
    local smoke
    smoke=$(in_root "$tmp" "" "" "" no bash -c "
        set -e
        for py in python3.14 python3.15; do
            \$py -c 'import sys, sysconfig; print(sys.executable, sys.version.split()[0], sysconfig.get_config_var(\"INCLUDEPY\"))'
            test -f \"\$(\$py -c 'import sysconfig; print(sysconfig.get_config_var(\"INCLUDEPY\"))')/Python.h\"
            \$py-config --embed --libs
        done
        g++-$GCC_MAJOR --version | head -n 1
        test -f /usr/lib/llvm-$LLVM_MAJOR/include/clang-c/Index.h
        ls /usr/lib/llvm-$LLVM_MAJOR/lib/libclang.so
        cmake --version | head -n 1
        echo ninja \$(ninja --version)
        ldd --version | head -n 1
    " 2>&1) || { printf '%s\n' "$smoke" | sed 's/^/  | /' >&2; die "the new root failed its smoke check"; }
    printf '%s\n' "$smoke" | sed 's/^/  | /' >&2
    manifest=$(in_root "$tmp" "" "" "" no dpkg-query -W -f='${Package} ${Version}\n')
    {
        recipe
        echo "# end of recipe"
        echo "built $(date -u +%FT%TZ)"
        echo "step debootstrap ${BOOTSTRAP_S}s"
        echo "step install ${install_s}s"
        echo "wall $((SECONDS - t0))s"
        printf '%s\n' "$smoke" | sed 's/^/smoke /'
        printf '%s\n' "$manifest" | sed 's/^/installed /'
    } >"$tmp/$STAMP_NAME.tmp"
    mv -f -- "$tmp/$STAMP_NAME.tmp" "$tmp/$STAMP_NAME"
    rm -rf --one-file-system -- "$ROOT" "$tmp.apt.log"
    mv -T -- "$tmp" "$ROOT"
    log "root built in $((SECONDS - t0))s: $ROOT ($(du -sh "$ROOT" | cut -f1))"
    # Roots of older pins (and their build trees) are of no more use.
    local old
    for old in "$SID_CACHE"/root-*; do
        [[ $old == "$ROOT" || ! -d $old ]] && continue
        log "removing the old root $old"
        rm -rf --one-file-system -- "$old" "$SID_CACHE/build/${old##*/root-}"
    done
}

# Shared for as long as the caller uses the root, so that a parallel run with other pins
# cannot delete it meanwhile; exclusive only while building (flock converts the lock, and
# the stamp is checked again after every wait).
ensure_root() {
    lock_shared
    if ! is_built; then
        lock_exclusive
        sweep_stale_mounts
        if is_built; then
            log "sid root built meanwhile by another run"
        else
            log "building the sid root (key $PIN_HASH from $(basename "$PIN_FILE"))"
            build_root
        fi
        lock_shared
        is_built || die "the root $ROOT vanished"
    fi
    log "sid root ready: $ROOT"
}

# The build tree of source tree $1 in this root (CMake records both paths, so one each).
sid_build_dir() {
    printf '%s/build/%s/%s-%s-Debug\n' "$SID_CACHE" "$PIN_HASH" "$(basename "$1")" \
        "$(printf '%s' "$1" | sha256sum | cut -c1-8)"
}

cmd_run() {
    local src=$REPO_ROOT net=no
    while (($#)); do
        case $1 in
            --src) (($# >= 2)) || die "--src needs a directory"; src=$2; shift 2 ;;
            --src=*) src=${1#--src=}; shift ;;
            --net) net=net; shift ;;
            --) shift; break ;;
            *) break ;;
        esac
    done
    (($#)) || die "run: no command given (ci/sid-root.sh run -- CMD...)"
    [[ -d $src ]] || die "source tree '$src' is not a directory"
    src=$(cd "$src" && pwd -P)
    ensure_root
    local build
    build=$(sid_build_dir "$src")
    mkdir -p "$SID_CACHE/cache" "$build"
    in_root "$ROOT" "$src" "$build" "$SID_CACHE/cache" "$net" "$@"
}

cmd_test() {
    local src=$REPO_ROOT jobs junit=
    jobs=$(nproc)
    ((jobs <= 2)) || jobs=2
    while (($#)); do
        case $1 in
            --jobs|-j) (($# >= 2)) || die "$1 needs a number"; jobs=$2; shift 2 ;;
            --jobs=*) jobs=${1#--jobs=}; shift ;;
            --junit) (($# >= 2)) || die "--junit needs a file"; junit=$2; shift 2 ;;
            --) shift; break ;;
            -*) die "unknown option '$1' (see --help)" ;;
            *) src=$1; shift ;;
        esac
    done
    [[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"
    [[ -f $src/CMakeLists.txt ]] || die "'$src' is not a subcheck source tree (no CMakeLists.txt)"
    src=$(cd "$src" && pwd -P)
    ensure_root
    local build
    build=$(sid_build_dir "$src")
    mkdir -p "$build" "$SID_CACHE/cache"
    log "building subcheck (Debug) from $src in the sid root with g++-$GCC_MAJOR and libclang $LLVM_MAJOR; build tree $build"
    local t0=$SECONDS
    in_root "$ROOT" "$src" "$build" "$SID_CACHE/cache" no nice -n 10 bash -c '
        set -e
        cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Debug \
            -DCMAKE_C_COMPILER=gcc-'"$GCC_MAJOR"' -DCMAKE_CXX_COMPILER=g++-'"$GCC_MAJOR"' \
            -DSUBCHECK_LLVM_ROOT=/usr/lib/llvm-'"$LLVM_MAJOR"' >/dev/null
        cmake --build /build -j '"$jobs"'
    ' || die "subcheck did not build in the sid root (build tree $build)"
    log "subcheck built in $((SECONDS - t0))s; running ctest in the root"
    t0=$SECONDS
    local rc=0
    local junit_args=()
    [[ -z $junit ]] || { rm -f -- "$build/junit.xml"; junit_args=(--output-junit junit.xml); }
    in_root "$ROOT" "$src" "$build" "$SID_CACHE/cache" no nice -n 10 \
        ctest --test-dir /build --output-on-failure -j "$jobs" "${junit_args[@]}" "$@" || rc=$?
    log "ctest finished in $((SECONDS - t0))s with status $rc"
    # ctest writes a relative --output-junit into its build tree (/build inside the root).
    [[ -z $junit || ! -f $build/junit.xml ]] || cp -- "$build/junit.xml" "$junit"
    return "$rc"
}

cmd_pins() {
    local write=0 base tmp=
    [[ ${1:-} == --write ]] && write=1
    lock_exclusive
    sweep_stale_mounts
    # Any root will do to ask apt (its lists are refreshed); without one, a bare debootstrap.
    base=$(find "$SID_CACHE" -maxdepth 2 -path "$SID_CACHE/root-*/$STAMP_NAME" -printf '%h\n' 2>/dev/null | head -n 1)
    if [[ -z $base ]]; then
        tmp=$(mktemp -d "$SID_CACHE/.tmp-pins.XXXXXX")
        TMP_DIRS+=("$tmp" "$tmp.debootstrap.log")
        rmdir -- "$tmp"
        bootstrap_base "$tmp"
        base=$tmp
    fi
    in_root "$base" "" "" "" net apt-get -qq update >&2 || die "apt-get update inside $base failed"
    local out line name version candidate
    out=$(while IFS= read -r line; do
        read -r name version _ <<<"$line"
        if [[ -z $name || $name == \#* ]]; then printf '%s\n' "$line"; continue; fi
        candidate=$(in_root "$base" "" "" "" no apt-cache policy "$name" | awk '/Candidate:/ {print $2}')
        if [[ -z $candidate || $candidate == "(none)" ]]; then
            log "warning: sid has no '$name' any more; kept the old pin (rename it by hand)"
            candidate=$version
        elif [[ $candidate != "$version" ]]; then
            log "$name: $version -> $candidate"
        fi
        printf '%s %s\n' "$name" "$candidate"
    done <"$PIN_FILE")
    log "sid's majors: $(in_root "$base" "" "" "" no bash -c \
        "apt-cache search --names-only '^(libclang-[0-9]+-dev|g\+\+-[0-9]+|python3\.[0-9]+-dev)\$' | cut -d' ' -f1 | sort -V | tr '\n' ' '")"
    if ((write)); then
        printf '%s\n' "$out" >"$PIN_FILE"
        log "wrote $PIN_FILE"
    else
        printf '%s\n' "$out"
    fi
}

cmd=${1:-}
(($#)) && shift
case $cmd in
    ensure) ensure_root; printf '%s\n' "$ROOT" ;;
    run) cmd_run "$@" ;;
    test) cmd_test "$@" ;;
    pins) cmd_pins "$@" ;;
    clean)
        lock_exclusive
        sweep_stale_mounts
        log "removing $SID_CACHE/root-* build cache"
        rm -rf --one-file-system -- "$SID_CACHE"/root-* "$SID_CACHE"/.tmp-* "$SID_CACHE/build" "$SID_CACHE/cache"
        ;;
    -h|--help|help) usage ;;
    '') usage >&2; exit 2 ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
esac
