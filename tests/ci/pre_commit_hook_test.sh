#!/usr/bin/env bash
# The pre-commit hook (ci/pre-commit-hook.sh) as people install it, in a throwaway git
# repository holding the bundled example: linked as .git/hooks/pre-commit and through the
# pre-commit framework (.pre-commit-hooks.yaml, with `pre-commit try-repo`), on staged
# changes. subcheck runs for real; a wrapper only records how the hook called it.
#   tests/ci/pre_commit_hook_test.sh SUBCHECK_BINARY
# Prints "N passed, N failed[, N skipped]" last; exits 1 on any failure.
set -uo pipefail
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: $0 SUBCHECK_BINARY" >&2; exit 2; }
real_subcheck="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
example="$repo_root/corpus/example_project/src/fastcache"

work="$(mktemp -d "${TMPDIR:-/tmp}/subcheck-hook.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 30 | sed 's/^/  | /'; }
check() {  # NAME CONDITION-COMMAND... ; the last output is in $out
  local name="$1"; shift
  if "$@"; then pass "$name"; else fail "$name" "$out"; fi
}

# A git of its own: no user or system configuration, no templates.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_TEMPLATE_DIR=""
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@localhost GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@localhost
# The spy: records the arguments, then runs the real subcheck.
cat >"$work/subcheck" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$work/calls"
exec "$real_subcheck" "\$@"
EOF
chmod +x "$work/subcheck"
export SUBCHECK="$work/subcheck"
unset SUBCHECK_FAIL_ON

project="$work/project"
mkdir -p "$project/src/fastcache"
cp "$repo_root/corpus/example_project/setup.py" "$project/"
cp "$example/_core.c" "$project/src/fastcache/"   # the isolated module: no findings
cd "$project" || exit 2
git init -q . && git add -A && git commit -q -m "clean module" || { echo "git setup failed" >&2; exit 2; }
mkdir -p .git/hooks && ln -s "$repo_root/ci/pre-commit-hook.sh" .git/hooks/pre-commit
calls() { cat "$work/calls" 2>/dev/null; }
head_is() { [ "$(git rev-parse HEAD)" = "$1" ]; }

# 1. Nothing C staged: the hook does not run subcheck at all.
echo "notes" >README.md && git add README.md
out="$(git commit -q -m "readme" 2>&1)"; rc=$?
check "no C/C++ file staged: commit goes through without running subcheck" test "$rc" -eq 0 -a ! -s "$work/calls"

# 2. The old-style module staged: SI001 is an error, so the commit is blocked.
cp "$example/_speedups.c" src/fastcache/ && git add src/fastcache/_speedups.c
before="$(git rev-parse HEAD)"
start=$(date +%s%N)
out="$(git commit -q -m "speedups" 2>&1)"; rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
blocked() { [ "$rc" -ne 0 ] && head_is "$before"; }
check "staged _speedups.c: commit blocked (exit $rc), HEAD unchanged" blocked
check "staged _speedups.c: the hook shows SI001" grep -q "SI001" <<<"$out"
check "the hook scans the repository statically (scan TOP --quiet --fail-on error, no --probe)" \
  test "$(calls)" = "scan $project --quiet --fail-on error"
echo "  (the hook took ${elapsed_ms} ms on the example)"
fast() { [ -s "$work/calls" ] && [ "$elapsed_ms" -lt 60000 ]; }
check "static and fast: scanned in under 60 s on the example (took ${elapsed_ms} ms)" fast

# 3. The threshold is the user's: SUBCHECK_FAIL_ON=never lets the same change through.
out="$(SUBCHECK_FAIL_ON=never .git/hooks/pre-commit 2>&1)"; rc=$?
check "SUBCHECK_FAIL_ON=never: the hook exits 0 on the same staged change" test "$rc" -eq 0

# 4. No binary: the commit is blocked with a message, not waved through.
out="$(SUBCHECK="$work/none" SUBCHECK_CACHE="$work/none" PATH=/usr/bin:/bin .git/hooks/pre-commit 2>&1)"; rc=$?
says_no_binary() { [ "$rc" -eq 2 ] && grep -q 'no subcheck binary' <<<"$out"; }
check "no subcheck binary: exit 2 and a message" says_no_binary

# 5. Unstage and drop the bad module, stage a clean edit: the commit goes through.
git rm -q --cached src/fastcache/_speedups.c && rm src/fastcache/_speedups.c
echo "/* a comment */" >>src/fastcache/_core.c && git add src/fastcache/_core.c
: >"$work/calls"
before="$(git rev-parse HEAD)"
out="$(git commit -q -m "core comment" 2>&1)"; rc=$?
committed_after_scan() { [ "$rc" -eq 0 ] && ! head_is "$before" && [ -s "$work/calls" ]; }
check "staged clean change: committed after a scan" committed_after_scan

# 6. The pre-commit framework, reading .pre-commit-hooks.yaml from this repository.
if command -v pre-commit >/dev/null 2>&1; then
  export PRE_COMMIT_HOME="$work/pre-commit-home"
  rm -f .git/hooks/pre-commit
  cp "$example/_speedups.c" src/fastcache/ && git add src/fastcache/_speedups.c
  out="$(pre-commit try-repo "$repo_root" subcheck 2>&1)"; rc=$?
  failed_with_si001() { [ "$rc" -ne 0 ] && grep -q SI001 <<<"$out"; }
  check "pre-commit try-repo: staged _speedups.c fails the subcheck hook with SI001" failed_with_si001
  git rm -q --cached src/fastcache/_speedups.c && rm src/fastcache/_speedups.c
  echo "/* another comment */" >>src/fastcache/_core.c && git add src/fastcache/_core.c
  out="$(pre-commit try-repo "$repo_root" subcheck 2>&1)"; rc=$?
  passed_hook() { [ "$rc" -eq 0 ] && grep -q 'Passed' <<<"$out"; }
  check "pre-commit try-repo: a clean staged change passes" passed_hook
else
  skipped=$((skipped + 2))
  echo "SKIP pre-commit framework cases: pre-commit is not installed (apt-get install pre-commit)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
