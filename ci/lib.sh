# Shared by ci/setup.sh and ci/test.sh: where the cache lives and how subcheck is built.
# shellcheck shell=bash

SUBCHECK_CACHE="${SUBCHECK_CACHE:-$HOME/.cache/subcheck}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages subcheck builds against (bookworm has libclang-19 in its updates).
SUBCHECK_DEBS=(
  cmake ninja-build g++ pkg-config debootstrap ccache clang-format-19 clang-tidy-19
  libclang-19-dev clang-19
  libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev libarchive-dev libelf-dev libxxhash-dev
  libseccomp-dev libssl-dev
  # the package and its tests: dpkg-shlibdeps, the man page, the hook and Action tests
  # (pre-commit try-repo; PyYAML reads action.yml; xmllint validates the JUnit XML;
  # headless Chromium renders the HTML report)
  dpkg-dev help2man pre-commit python3-yaml libxml2-utils chromium
)

log() { printf '[subcheck] %s\n' "$*" >&2; }

install_debs() {
  local missing=()
  for deb in "${SUBCHECK_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The build tree lives outside the repository, keyed by build type and by the checkout's
# path: CMake's cache records the source directory, so two checkouts with the same name
# (CI's /check/work/main and a developer's /work/main) must never share one tree.
checkout_key() {
  echo "$(basename "$REPO_ROOT")-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-8)"
}
build_dir_for() {  # $1: Release | Debug | Sanitize
  echo "$SUBCHECK_CACHE/build/$(checkout_key)-$1"
}

build_subcheck() {  # $1: Release | Debug | Sanitize; more arguments go to cmake (-DOPTION=...)
  local kind="$1" dir
  shift
  dir="$(build_dir_for "$kind")"
  local args=(-S "$REPO_ROOT" -B "$dir" -G Ninja "$@")
  case "$kind" in
    Sanitize) args+=(-DCMAKE_BUILD_TYPE=Debug -DSUBCHECK_SANITIZE=ON) ;;
    *) args+=(-DCMAKE_BUILD_TYPE="$kind") ;;
  esac
  # ccache, keyed relative to the clone, so a fresh clone elsewhere (CI) reuses the objects
  # an earlier build compiled.
  if command -v ccache >/dev/null; then
    args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR="$REPO_ROOT" CCACHE_NOHASHDIR=1
  fi
  log "building subcheck ($kind) in $dir"
  cmake "${args[@]}" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

# CPython 3.13 default and free-threaded (3.13t), built once and cached: the prober's
# tests import real modules in both. Skips in well under a second when already built.
ensure_interpreters() {
  log "CPython 3.13 and 3.13t (cached in $SUBCHECK_CACHE/cpython)"
  nice -n 10 bash "$REPO_ROOT/ci/build-cpython.sh"
}


# Debian trixie's binary packages the tests use: tests/prober_discover_test.cpp probes
# python3-markupsafe, python3-psutil and python3-simplejson (its REQUIRE_DEBIAN lines);
# tests/binding_test.cpp scans pybind11 modules with pybind11-dev's headers (2.13: bookworm's
# 2.10 predates py::mod_gil_not_used). Without them those tests skip. Unpacked once under
# $SUBCHECK_CACHE/debian-bin/ by ci/fetch-debian-source.sh --binary, never installed; then
# skipped in well under a second.
SUBCHECK_TEST_BINARY_DEBS=(python3-markupsafe python3-psutil python3-simplejson pybind11-dev)

ensure_test_packages() {
  log "trixie packages for the tests: ${SUBCHECK_TEST_BINARY_DEBS[*]} (cached in $SUBCHECK_CACHE/debian-bin)"
  bash "$REPO_ROOT/ci/fetch-debian-source.sh" --binary "${SUBCHECK_TEST_BINARY_DEBS[@]}" >/dev/null
  ensure_sarif_validator
}

# Microsoft's SARIF validator (`Sarif.Multitool validate`, from the npm registry), which
# tests/ci/sarif_validate_test.py runs on subcheck's SARIF. Installed once into
# $SUBCHECK_CACHE/npm, never into the repository; without the registry a cached copy
# serves, and with neither this fails.
SUBCHECK_SARIF_MULTITOOL="@microsoft/sarif-multitool-linux@5.7.0"

sarif_validator_path() {
  echo "$SUBCHECK_CACHE/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
}

ensure_sarif_validator() {
  local prefix="$SUBCHECK_CACHE/npm" tool version="${SUBCHECK_SARIF_MULTITOOL##*@}"
  tool="$(sarif_validator_path)"
  if [ -x "$tool" ] && grep -q "\"version\": \"$version\"" "$(dirname "$tool")/package.json" 2>/dev/null; then
    log "SARIF validator $version: cached in $prefix"
    return
  fi
  if ! command -v npm >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null || true
  fi
  log "installing the SARIF validator ($SUBCHECK_SARIF_MULTITOOL) into $prefix"
  mkdir -p "$prefix"
  # Its install script only marks the binary executable: done here instead.
  if npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts "$SUBCHECK_SARIF_MULTITOOL" >/dev/null; then
    chmod u+x "$tool"
  elif [ -x "$tool" ]; then
    log "npm failed; using the cached SARIF validator"
  else
    log "error: cannot install the SARIF validator and none is cached"
    return 1
  fi
}

# ---- Debian roots made with debootstrap (ci/test-package.sh's bookworm root). Every mount
# is made in a private mount namespace, so none outlives the command, however it ends
# (even SIGKILL); the host's /etc/apt is never read or written.

# debootstrap_root SUITE DIR [MIRROR]: a minbase root in DIR (which must not exist yet),
# with apt settings of its own and no services. Needs root.
debootstrap_root() {
  local suite="$1" dir="$2" mirror="${3:-http://deb.debian.org/debian}"
  command -v debootstrap >/dev/null 2>&1 || { log "debootstrap not found: apt-get install debootstrap"; return 1; }
  log "debootstrap --variant=minbase $suite into $dir (from $mirror)"
  # debootstrap mounts /proc and /sys in the target itself: keep them in a namespace.
  if ! unshare --mount --propagation private -- \
      debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1; then
    tail -n 30 "$dir.debootstrap.log" | sed 's/^/  | /' >&2
    log "debootstrap failed (full log: $dir.debootstrap.log)"
    return 1
  fi
  rm -f -- "$dir.debootstrap.log"
  # In the root's own /etc/apt. apt runs as root there: its _apt user cannot read the
  # bind-mounted package files and caches.
  cat >"$dir/etc/apt/apt.conf.d/99subcheck" <<'CONF'
// Written by ci/lib.sh (debootstrap_root).
Acquire::Languages "none";
Acquire::Retries "3";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
CONF
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"   # no services start
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  # A plain file for the host's resolv.conf to be bound over (a symlink would be followed).
  rm -f -- "$dir/etc/resolv.conf"
  : >"$dir/etc/resolv.conf"
}

# root_run ROOT [OPTION]... -- CMD...: CMD as root in ROOT with /proc, a read-only /sys, a
# small /dev, a fresh /tmp and a cleared environment. Options:
#   --net                  the host's resolv.conf (for apt-get)
#   --bind SRC DST         host directory or file SRC at DST in the root; --ro-bind: read-only
#   --overlay LOWER WORK   mount ROOT first as an overlay of LOWER, whose changes go to
#                          WORK/upper: LOWER stays untouched (a throwaway copy of a root)
#   --env NAME=VALUE       one more variable for CMD
root_run() {
  unshare --mount --propagation private -- \
    bash -c 'source "$1" && shift && root_run_in_namespace "$@"' root_run "$REPO_ROOT/ci/lib.sh" "$@"
}

# The body of root_run, in its namespace: mounts, chroot, and unmounting in reverse order
# on every exit (the namespace would drop them anyway; this keeps it tidy for a caller
# that reuses WORK).
root_run_in_namespace() {
  set -euo pipefail
  local root="$1" net=0 lower="" work="" binds=() envs=()
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --net) net=1; shift ;;
      --bind|--ro-bind) binds+=("$1" "$2" "$3"); shift 3 ;;
      --overlay) lower="$2"; work="$3"; shift 3 ;;
      --env) envs+=("$2"); shift 2 ;;
      --) shift; break ;;
      *) log "root_run: unknown option '$1'"; return 2 ;;
    esac
  done
  ROOT_MOUNTS=()
  trap 'root_unmount_all' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ -n "$lower" ]; then
    mkdir -p "$root" "$work/upper" "$work/work"
    root_mount "$root" -t overlay -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/work" overlay
  fi
  root_mount "$root/proc" -t proc proc
  root_mount "$root/sys" -t sysfs -o ro,nosuid,nodev,noexec sysfs
  root_mount "$root/dev" -t tmpfs -o mode=755,nosuid,size=16m tmpfs
  local d
  for d in null zero full random urandom tty; do
    : >"$root/dev/$d"
    root_mount "$root/dev/$d" --bind "/dev/$d"
  done
  mkdir -p "$root/dev/pts" "$root/dev/shm"
  root_mount "$root/dev/pts" -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts
  root_mount "$root/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev tmpfs
  ln -s pts/ptmx "$root/dev/ptmx"
  ln -s /proc/self/fd "$root/dev/fd"
  root_mount "$root/tmp" -t tmpfs -o mode=1777,nosuid,nodev tmpfs
  [ "$net" -eq 0 ] || root_mount "$root/etc/resolv.conf" --bind -o ro /etc/resolv.conf
  local i
  for ((i = 0; i < ${#binds[@]}; i += 3)); do
    if [ -d "${binds[i + 1]}" ]; then
      mkdir -p "$root${binds[i + 2]}"
    else  # a file is bound over a file
      mkdir -p "$(dirname "$root${binds[i + 2]}")"
      [ -e "$root${binds[i + 2]}" ] || : >"$root${binds[i + 2]}"
    fi
    root_mount "$root${binds[i + 2]}" --bind "${binds[i + 1]}"
    [ "${binds[i]}" = --bind ] || mount -o remount,bind,ro "$root${binds[i + 2]}"
  done
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "${envs[@]}" "$@"
}

root_mount() {  # TARGET MOUNT-ARGS...: mount, and remember it for root_unmount_all
  local target="$1"
  shift
  mount "$@" "$target" || { log "mount $* $target failed"; exit 1; }
  ROOT_MOUNTS+=("$target")
}

root_unmount_all() {
  local i
  for ((i = ${#ROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${ROOT_MOUNTS[i]}" 2>/dev/null || umount -l "${ROOT_MOUNTS[i]}" 2>/dev/null || true
  done
  ROOT_MOUNTS=()
}
