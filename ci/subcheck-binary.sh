#!/usr/bin/env bash
# Prints where ci/setup.sh builds the Release subcheck of this checkout (see build_dir_for),
# for scripts that default to it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
echo "$(build_dir_for Release)/cli/subcheck"
