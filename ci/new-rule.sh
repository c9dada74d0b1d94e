#!/usr/bin/env bash
# ci/new-rule.sh ID NAME: scaffolds a new rule, e.g. `ci/new-rule.sh FT008 unlocked-static-cache`:
#
#   rules/ID-NAME.toml                  the rule, with [data] and [verdict] tables (docs/rules.md)
#   analyzer/checks/NAME_WITH_UNDERSCORES.cpp   its check, from ci/new-rule/check.cpp.in
#   corpus/NAME_WITH_UNDERSCORES.c      a corpus case with `// expect:` and `// expect-not:`
#   docs/rules.md, corpus/README.md     a row in each rule table
#
# The scaffold builds and passes the suite as it is (its check reports calls to a placeholder
# API its [data] table lists); then write the real check, texts and cases. The registry of
# checks and the tests' rule lists are generated from rules/*.toml: nothing else to edit.
# Refuses (exit 2, nothing written) a malformed id or name, or one that is taken.
set -euo pipefail

usage() {
  echo "usage: ci/new-rule.sh ID NAME   (ID: SI or FT and three digits; NAME: lower-case words joined by '-')" >&2
  exit 2
}
refuse() {
  echo "ci/new-rule.sh: $*; nothing written" >&2
  exit 2
}

[ $# -eq 2 ] || usage
id=$1
name=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[[ $id =~ ^(SI|FT)[0-9]{3}$ ]] || refuse "bad id '$id' (want SI or FT followed by three digits)"
[[ $name =~ ^[a-z][a-z0-9]*(-[a-z0-9]+)*$ ]] || refuse "bad name '$name' (want lower-case words joined by '-')"
ident=${name//-/_}
class=$(sed -E 's/(^|_)([a-z])/\U\2/g' <<<"$ident")

shopt -s nullglob
taken_id=("$repo"/rules/"$id"-*.toml)
taken_name=("$repo"/rules/*-"$name".toml)
shopt -u nullglob
[ ${#taken_id[@]} -eq 0 ] || refuse "$id is taken by rules/$(basename "${taken_id[0]}")"
[ ${#taken_name[@]} -eq 0 ] || refuse "the name $name is taken by rules/$(basename "${taken_name[0]}")"
rule_file="$repo/rules/$id-$name.toml"
check_file="$repo/analyzer/checks/$ident.cpp"
case_file="$repo/corpus/$ident.c"
for file in "$check_file" "$case_file"; do
  [ ! -e "$file" ] || refuse "${file#"$repo"/} exists"
done
command -v python3 >/dev/null || refuse "python3 is needed to add the table rows"

if [ "${id:0:2}" = SI ]; then
  category=subinterpreters
  reference=https://docs.python.org/3/howto/isolating-extensions.html
  verdict_key=subinterpreters verdict_when=declares-per-interpreter-gil
  si_verdict=unsafe ft_verdict=gil-free
else
  category=free-threading
  reference=https://docs.python.org/3/howto/free-threading-extensions.html
  verdict_key=free-threading verdict_when=declares-gil-not-used
  si_verdict=supported ft_verdict=unsafe
fi

fill() {
  sed -e "s|@ID@|$id|g" -e "s|@NAME@|$name|g" -e "s|@IDENT@|$ident|g" -e "s|@CLASS@|$class|g" \
      -e "s|@CATEGORY@|$category|g" -e "s|@REFERENCE@|$reference|g" -e "s|@VERDICT_KEY@|$verdict_key|g" \
      -e "s|@VERDICT_WHEN@|$verdict_when|g" -e "s|@SI_VERDICT@|$si_verdict|g" -e "s|@FT_VERDICT@|$ft_verdict|g" \
      "$repo/ci/new-rule/$1"
}

# Every file is made in full before any is written (the table rows first, the one step
# that can refuse), so a refusal leaves nothing behind.
rule_text=$(fill rule.toml.in)
check_text=$(fill check.cpp.in)
case_text=$(fill corpus_case.c.in)
# A row in id order (SI rules, then FT) in each table whose rows start "| <ID> ".
python3 - "$repo" "$id" "$name" "$ident" <<'PY'
import re, sys
repo, rule_id, name, ident = sys.argv[1:]
def key(text):
    return (text[:2] != "SI", int(text[2:]))
def with_row(path, row):
    lines = open(path, encoding="utf-8").read().split("\n")
    rows = [i for i, line in enumerate(lines) if re.match(r"\| (SI|FT)\d{3}[ |]", line)]
    if not rows:
        sys.exit(f"ci/new-rule.sh: no rule table in {path}; nothing written")
    later = [i for i in rows if key(lines[i][2:7]) > key(rule_id)]
    lines.insert(later[0] if later else rows[-1] + 1, row)
    return path, "\n".join(lines)
edits = [with_row(f"{repo}/docs/rules.md", f"| {rule_id} | {name} | warning | line, both configurations |"),
         with_row(f"{repo}/corpus/README.md", f"| {rule_id} {name} | {ident}.c (scaffold) | {ident}.c (scaffold) |")]
for path, text in edits:
    open(path, "w", encoding="utf-8").write(text)
PY
printf '%s\n' "$rule_text" >"$rule_file"
printf '%s\n' "$check_text" >"$check_file"
printf '%s\n' "$case_text" >"$case_file"


cat <<EOF
created rules/$id-$name.toml, analyzer/checks/$ident.cpp, corpus/$ident.c;
added $id to docs/rules.md and corpus/README.md. Next: write the check and its texts, and
replace the placeholder calls in corpus/$ident.c with real cases for and against the rule.
EOF
