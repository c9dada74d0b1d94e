#!/usr/bin/env bash
# A git pre-commit hook (or a pre-commit framework hook: see .pre-commit-hooks.yaml) that
# scans the repository's extension sources when C/C++ files are staged, and blocks the
# commit on error-level findings (--fail-on error, exit 1), on a scan that cannot run
# (exit 2) and on an incomplete answer (exit 3: a module it could not judge, say behind a
# header it cannot find; SUBCHECK_FAIL_ON=never lets such commits through).
#   ln -s ../../ci/pre-commit-hook.sh .git/hooks/pre-commit
# Set SUBCHECK to the binary when `subcheck` is not on PATH.
set -euo pipefail
subcheck="${SUBCHECK:-$(command -v subcheck || echo "${SUBCHECK_CACHE:-$HOME/.cache/subcheck}/subcheck")}"
top="$(git rev-parse --show-toplevel)"
staged="$(git diff --cached --name-only --diff-filter=ACMR -- '*.c' '*.cc' '*.cpp' '*.cxx' '*.h' '*.hpp' || true)"
if [ -z "$staged" ]; then
  exit 0
fi
if [ ! -x "$subcheck" ]; then
  echo "subcheck pre-commit: no subcheck binary (set SUBCHECK, or run bash ci/setup.sh)" >&2
  exit 2
fi
exec "$subcheck" scan "$top" --quiet --fail-on "${SUBCHECK_FAIL_ON:-error}"
