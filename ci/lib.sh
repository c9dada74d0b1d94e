# Shared by ci/setup.sh and ci/test.sh: where the cache lives and how subcheck is built.
# shellcheck shell=bash

SUBCHECK_CACHE="${SUBCHECK_CACHE:-$HOME/.cache/subcheck}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages subcheck builds against (bookworm has libclang-19 in its updates).
SUBCHECK_DEBS=(
  cmake ninja-build g++ pkg-config debootstrap ccache clang-format clang-tidy
  libclang-19-dev clang-19
  libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev libarchive-dev libelf-dev libxxhash-dev
  libseccomp-dev libssl-dev
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

build_subcheck() {  # $1: Release | Debug | Sanitize
  local kind="$1" dir
  dir="$(build_dir_for "$kind")"
  local args=(-S "$REPO_ROOT" -B "$dir" -G Ninja)
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


# Debian trixie's binary packages that tests/prober_discover_test.cpp probes (its
# REQUIRE_DEBIAN lines: python3-markupsafe, python3-psutil, python3-simplejson; without
# them those tests skip). Unpacked once under $SUBCHECK_CACHE/debian-bin/ by
# ci/fetch-debian-source.sh --binary, then skipped in well under a second.
SUBCHECK_TEST_BINARY_DEBS=(python3-markupsafe python3-psutil python3-simplejson)

ensure_test_packages() {
  log "trixie packages for the tests: ${SUBCHECK_TEST_BINARY_DEBS[*]} (cached in $SUBCHECK_CACHE/debian-bin)"
  bash "$REPO_ROOT/ci/fetch-debian-source.sh" --binary "${SUBCHECK_TEST_BINARY_DEBS[@]}" >/dev/null
}
