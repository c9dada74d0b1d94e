#!/usr/bin/env bash
# Installs everything subcheck needs, builds it, and scans the bundled example project.
#   bash ci/setup.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

install_debs
ensure_interpreters
build_subcheck Release
bin="$(build_dir_for Release)/cli/subcheck"
ln -sf "$bin" "$SUBCHECK_CACHE/subcheck"
log "built: $bin (also linked as $SUBCHECK_CACHE/subcheck)"

log "scanning the bundled example: corpus/example_project"
set +e
"$bin" scan "$REPO_ROOT/corpus/example_project"
status=$?
set -e
# The example is meant to have findings: exit 1 is the expected answer, 2 is not.
if [ "$status" -eq 2 ]; then
  log "scan failed (exit 2)"
  exit 2
fi
log "done: the example has findings (exit $status), as it should"
