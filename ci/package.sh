#!/usr/bin/env bash
# Builds subcheck (Release, without the test suite) and makes its Debian package with CPack.
# Prints the path of the .deb on stdout; progress goes to stderr.
#   bash ci/package.sh [--out DIR]     # default: $SUBCHECK_CACHE/package
# Install it with `apt-get install ./subcheck_*.deb` (so apt resolves the dependencies);
# ci/test-package.sh does that in a clean Debian root. Layout: docs/install.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

out="$SUBCHECK_CACHE/package"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { log "--out needs a directory"; exit 2; }; out="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) log "unknown argument '$1' (see --help)"; exit 2 ;;
  esac
done

install_debs
# The package needs only the command: the test suite is not built in this tree.
build_subcheck Release -DSUBCHECK_BUILD_TESTS=OFF >&2
dir="$(build_dir_for Release)"
mkdir -p "$out"
rm -f -- "$out"/subcheck_*.deb
log "packing with CPack into $out"
if ! cpack --config "$dir/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1; then
  tail -n 30 "$out/cpack.log" >&2
  log "cpack failed (full log: $out/cpack.log)"
  exit 1
fi
shopt -s nullglob
debs=("$out"/subcheck_*.deb)
if [ ${#debs[@]} -ne 1 ]; then
  log "expected one subcheck_*.deb in $out, found ${#debs[@]} (log: $out/cpack.log)"
  exit 1
fi
# dpkg-shlibdeps finds the linked libraries; an empty Depends would mean it did not run.
depends="$(dpkg-deb --field "${debs[0]}" Depends)"
case "$depends" in
  *libclang*) ;;
  *) log "the package declares no libclang dependency (Depends: $depends)"; exit 1 ;;
esac
log "built ${debs[0]} ($(du -h "${debs[0]}" | cut -f1)); Depends: $depends"
printf '%s\n' "${debs[0]}"
