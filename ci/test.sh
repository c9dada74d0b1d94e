#!/usr/bin/env bash
# Builds subcheck and runs the whole test suite: on this machine (CPython 3.12, 3.13, 3.13t)
# in a plain Debug build and under ASan+UBSan, then in the Debian sid root (CPython 3.14 and
# 3.15, sid's g++ and libclang); then the Debian package in a clean bookworm root. Ends with
# what ran, what was skipped and why, per Python.
#   bash ci/test.sh              # everything
#   bash ci/test.sh --quick      # the plain build on this machine only
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

install_debs
ensure_interpreters
ensure_test_packages
kinds=(Debug)
[ "$quick" -eq 1 ] || kinds+=(Sanitize)

results="$SUBCHECK_CACHE/test-results/$(checkout_key)"
rm -rf "$results" && mkdir -p "$results"
summary=()
status=0
style_status=0
for kind in "${kinds[@]}"; do
  build_subcheck "$kind"
  if [ "$kind" = Debug ]; then
    # The style holds without anyone enforcing it by hand: clang-format on every file,
    # clang-tidy on the .cpp files the last commit touched (ci/check-style.sh).
    log "style: clang-format and clang-tidy (ci/check-style.sh)"
    bash "$REPO_ROOT/ci/check-style.sh" || { style_status=1; status=1; }
  fi
  log "running tests ($kind)"
  # use_sigaltstack=0: LLVM gives each thread that installs its crash handlers an
  # alternate signal stack from malloc; ASan, at that thread's exit, tries to munmap the
  # stack it finds installed as if it were its own, and aborts ("unable to unmap"). Seen
  # when libclang builds a module (-fmodules) on a thread of its own.
  ASAN_OPTIONS="abort_on_error=1:use_sigaltstack=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir "$(build_dir_for "$kind")" --output-on-failure -j "$(nproc)" \
    --output-junit "$results/$kind.xml" || status=1
  summary+=("$kind=$results/$kind.xml")
done

if [ "$quick" -eq 0 ]; then
  log "sid root: subcheck built with sid's g++ and libclang, tested against CPython 3.14 and 3.15"
  nice -n 10 bash "$REPO_ROOT/ci/sid-root.sh" test --junit "$results/sid.xml" "$REPO_ROOT" || status=1
  summary+=("sid=$results/sid.xml")
fi

package_status=0
if [ "$quick" -eq 0 ]; then
  # The Debian package (CPack), installed with apt into a clean bookworm root, scanning the
  # bundled example there (docs/install.md).
  log "package: built with CPack, installed into a clean Debian root, run there (ci/test-package.sh)"
  bash "$REPO_ROOT/ci/test-package.sh" || { package_status=1; status=1; }
fi

log "summary (JUnit files in $results)"
/usr/bin/python3 "$REPO_ROOT/ci/test-summary.py" "${summary[@]}"
[ "$package_status" -eq 0 ] || log "package test failed: see its PASS/FAIL lines above (bash ci/test-package.sh)"
[ "$style_status" -eq 0 ] || log "style check failed: see the clang-format / clang-tidy output above (bash ci/check-style.sh)"
exit "$status"
