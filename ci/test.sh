#!/usr/bin/env bash
# Builds subcheck and runs the whole test suite, then again under ASan+UBSan.
#   bash ci/test.sh              # both builds
#   bash ci/test.sh --quick      # the plain build only
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

install_debs
ensure_interpreters
ensure_test_packages
kinds=(Debug)
[ "$quick" -eq 1 ] || kinds+=(Sanitize)
for kind in "${kinds[@]}"; do
  build_subcheck "$kind"
  log "running tests ($kind)"
  ASAN_OPTIONS="abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir "$(build_dir_for "$kind")" --output-on-failure -j "$(nproc)"
done
