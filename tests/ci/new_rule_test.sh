#!/usr/bin/env bash
# ci/new-rule.sh end to end, in a scratch copy of the repository (the checkout itself is
# never touched): malformed or taken ids and names are refused with nothing written; a new
# rule is scaffolded, the copy configured and its `subcheck` and test binary built; the rule
# is in `subcheck rules`, and the corpus test runs its case and passes, and fails once the
# case's `// expect:` marker is taken away (so it really reads the new case).
#
# usage: tests/ci/new_rule_test.sh REPO [COMPILER_LAUNCHER] [CMAKE_GENERATOR] [CMAKE-ARG...]
# (CMAKE-ARGs, such as -DSUBCHECK_LLVM_ROOT=..., go to the scratch build's configure step)
# Run by CTest as ci.new_rule. Exit 77 (a skip) when the corpus test cannot run here (no
# CPython 3.13 for its headers). The scratch build is cached by ccache (when given) with
# CCACHE_BASEDIR at the scratch root, so runs after the first rebuild little.
set -euo pipefail

src=$(cd "$1" && pwd)
launcher=${2:-}
generator=${3:-Ninja}
extra_cmake_args=("${@:4}")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/subcheck-new-rule-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
repo=$scratch/repo
build=$scratch/build
mkdir -p "$repo"

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}

# The checkout as it is, edits included: git's tracked and untracked-not-ignored files.
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$src" ls-files -z -c -o --exclude-standard |
    tar -C "$src" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$repo" -xf -
else
  tar -C "$src" --exclude=.git -cf - . | tar -C "$repo" -xf -
fi

fingerprint() { (cd "$repo" && find . -type f -print0 | sort -z | xargs -0 md5sum); }
refused() {  # refused ID NAME: exit status 2 and not a byte changed
  local before status=0
  before=$(fingerprint)
  "$repo/ci/new-rule.sh" "$1" "$2" >/dev/null 2>"$scratch/refusal" || status=$?
  [ "$status" -eq 2 ] && [ -s "$scratch/refusal" ] && [ "$(fingerprint)" = "$before" ]
}

check "a malformed id is refused" refused XX001 scaffolded-rule
check "an id of the wrong length is refused" refused FT0999 scaffolded-rule
check "a name that is not lower-case words joined by '-' is refused" refused FT099 Scaffolded_Rule
check "a name with a path in it is refused" refused FT099 ../escape
check "a taken id is refused" refused FT001 scaffolded-rule
check "a taken name is refused" refused FT099 gil-slot-missing

"$repo/ci/new-rule.sh" FT099 scaffolded-rule
check "the rule file was written" test -s "$repo/rules/FT099-scaffolded-rule.toml"
check "the check was written" grep -q 'make_scaffolded_rule()' "$repo/analyzer/checks/scaffolded_rule.cpp"
check "the corpus case carries expect: and expect-not: markers" \
  grep -q '// expect: FT099' "$repo/corpus/scaffolded_rule.c"
check "the corpus case carries an expect-not: marker" grep -q '// expect-not: FT099' "$repo/corpus/scaffolded_rule.c"
check "docs/rules.md lists the rule after FT007" \
  bash -c "grep -A1 '^| FT007 ' '$repo/docs/rules.md' | grep -q '^| FT099 | scaffolded-rule | warning'"
check "the same id again is refused" refused FT099 scaffolded-rule

cmake_args=(-S "$repo" -B "$build" -G "$generator" -DCMAKE_BUILD_TYPE= "${extra_cmake_args[@]}")
if [ -n "$launcher" ]; then
  cmake_args+=(-DCMAKE_C_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
fi
export CCACHE_BASEDIR=$scratch
cmake "${cmake_args[@]}" >"$scratch/configure.log" 2>&1 || { cat "$scratch/configure.log"; exit 1; }
if ! nice -n 5 cmake --build "$build" --target cli subcheck_tests -j2 >"$scratch/build.log" 2>&1; then
  tail -50 "$scratch/build.log"
  exit 1
fi

rules=$("$build/cli/subcheck" rules)
check "subcheck rules lists FT099 scaffolded-rule" grep -q 'FT099.*scaffolded-rule' <<<"$rules"

corpus_run() {
  "$build/tests/subcheck_tests" --gtest_filter='*CorpusTarget*scaffolded_rule_c*:CorpusCoverage.*:RuleCatalogue.*:CheckRegistry.*' \
    >"$scratch/corpus.log" 2>&1
}
status=0
corpus_run || status=$?
if grep -q '^\[  SKIPPED \] .*scaffolded_rule_c' "$scratch/corpus.log"; then
  echo "skip: the corpus test cannot run here:"
  grep -B3 'SKIPPED \] .*scaffolded_rule_c' "$scratch/corpus.log" | head -5
  exit 77
fi
check "the corpus test ran the new case" grep -q 'OK \] .*scaffolded_rule_c' "$scratch/corpus.log"
check "the corpus, catalogue and registry tests pass with the new rule" test "$status" -eq 0
[ "$status" -eq 0 ] || tail -40 "$scratch/corpus.log"

# Without its expect: marker the finding is unexpected: the corpus test must now fail.
sed -i 's|  // expect: FT099||' "$repo/corpus/scaffolded_rule.c"
status=0
corpus_run || status=$?
check "the corpus test fails once the case's expect: marker is gone" \
  bash -c "[ $status -ne 0 ] && grep -q 'FAILED .*scaffolded_rule_c' '$scratch/corpus.log'"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
