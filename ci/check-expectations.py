#!/usr/bin/env python3
"""Compares a `subcheck scan --format json` report with the expectations written in the
scanned sources (the corpus format, corpus/README.md: `subcheck-expect-module:` comments and
`// expect: RULE...` at the end of a line). Used where the C++ corpus test cannot run: on an
installed package inside a clean Debian root (ci/test-package.sh).

    check-expectations.py REPORT.json SOURCE_DIR

Prints what differs and exits 1, or prints one summary line and exits 0. Standard library
only: it runs under whichever CPython >= 3.8 is at hand.
"""
import collections
import json
import pathlib
import re
import sys

SOURCE_SUFFIXES = {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp"}
MODULE_MARK = re.compile(r"subcheck-expect-module:(.*?)(?:\*/|$)")
# A marker's value runs to the next '//' or the end of the line (corpus/README.md).
FINDING_MARK = re.compile(r"//\s*expect(-not)?:((?:(?!//).)*)")
TOKEN = re.compile(r'"([^"]*)"|(\S+)')
RULE_ID = re.compile(r"^[A-Z]{2}[0-9]{3}$")
MODULE_KEYS = ("name", "init", "multiple_interpreters", "gil", "subinterpreters", "free_threading")


def read_expectations(source_dir):
    """Every expected module (a dict of MODULE_KEYS) and finding ((relative file, line, rule))."""
    modules, findings, problems = [], collections.Counter(), []
    forbidden, wanted_fragments = set(), []
    for path in sorted(source_dir.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(source_dir).as_posix()
        for number, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            module = MODULE_MARK.search(text)
            if module:
                fields = dict(pair.split("=", 1) for pair in module.group(1).split() if "=" in pair)
                missing = [key for key in MODULE_KEYS if key not in fields]
                if missing:
                    problems.append(f"{relative}:{number}: subcheck-expect-module lacks {', '.join(missing)}")
                modules.append({key: fields.get(key) for key in MODULE_KEYS})
            for negative, value in FINDING_MARK.findall(text):
                rules, fragments = parse_marker(value, f"{relative}:{number}", problems)
                for rule in rules:
                    if negative:
                        forbidden.add((relative, number, rule))
                    else:
                        findings[(relative, number, rule)] += 1
                for rule, fragment in fragments:
                    wanted_fragments.append((relative, number, rule, fragment))
    return modules, findings, forbidden, wanted_fragments, problems


def parse_marker(value, where, problems):
    """Rule ids, and quoted message fragments each belonging to the id before it."""
    rules, fragments = [], []
    for quoted, word in TOKEN.findall(value):
        if word:
            if not RULE_ID.match(word):
                problems.append(f"{where}: marker must name rule ids, got {word!r}")
            rules.append(word)
        elif not rules:
            problems.append(f"{where}: message fragment {quoted!r} follows no rule id")
        else:
            fragments.append((rules[-1], quoted))
    if not rules:
        problems.append(f"{where}: marker names no rule")
    return rules, fragments


def read_report(report, source_dir):
    """The same shapes from the report; files relative to the scanned directory."""
    root = pathlib.Path(report["root"])
    findings, messages = collections.Counter(), collections.defaultdict(list)
    for finding in report["findings"]:
        relative = pathlib.Path(finding["file"]).relative_to(root).as_posix()
        findings[(relative, finding["line"], finding["rule"])] += 1
        messages[(relative, finding["line"], finding["rule"])].append(finding["message"])
    modules = [{
        "name": module["name"],
        "init": module["init"],
        "multiple_interpreters": module["multiple_interpreters"],
        "gil": module["gil"],
        "subinterpreters": module["verdicts"]["subinterpreters"],
        "free_threading": module["verdicts"]["free_threading"],
    } for module in report["modules"]]
    return modules, findings, messages


def compare(report, source_dir):
    want_modules, want_findings, forbidden, fragments, problems = read_expectations(source_dir)
    if report["python"] is None:
        problems.append("the scan found no CPython headers (python is null)")
    if not want_modules:
        problems.append(f"{source_dir} declares no subcheck-expect-module: nothing to compare")
    have_modules, have_findings, messages = read_report(report, source_dir)
    key = lambda module: module["name"] or ""
    for want in sorted(want_modules, key=key):
        if want not in have_modules:
            seen = [m for m in have_modules if m["name"] == want["name"]]
            problems.append(f"module expected {want}, reported {seen or 'nothing by that name'}")
    for have in sorted(have_modules, key=key):
        if have not in want_modules:
            problems.append(f"module reported but not expected: {have}")
    for (file, line, rule), count in sorted((want_findings - have_findings).items()):
        problems.append(f"{file}:{line}: expected {rule} x{count}, not reported")
    for (file, line, rule), count in sorted((have_findings - want_findings).items()):
        problems.append(f"{file}:{line}: reported {rule} x{count}, not expected")
    for key in sorted(forbidden & set(have_findings)):
        problems.append(f"{key[0]}:{key[1]}: {key[2]} reported on a line marked expect-not")
    for file, line, rule, fragment in fragments:
        if not any(fragment in message for message in messages.get((file, line, rule), [])):
            problems.append(f"{file}:{line}: no {rule} message contains {fragment!r}")
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    for diagnostic in errors:
        problems.append(f"tool diagnostic: {diagnostic['file']}:{diagnostic['line']}: {diagnostic['message']}")
    summary = report["summary"]
    if summary["units_parsed"] != summary["units_total"] or summary["units_total"] == 0:
        problems.append(f"parsed {summary['units_parsed']} of {summary['units_total']} translation units")
    return problems, len(want_modules), sum(want_findings.values())


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.loads(pathlib.Path(argv[1]).read_text(encoding="utf-8"))
    if report.get("schema") != "subcheck-scan":
        print(f"{argv[1]} is not a subcheck-scan report (schema {report.get('schema')!r})", file=sys.stderr)
        return 1
    problems, modules, findings = compare(report, pathlib.Path(argv[2]).resolve())
    for problem in problems:
        print(f"check-expectations: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check-expectations: {modules} modules and {findings} findings as expected "
          f"({report['summary']['units_parsed']} units parsed with Python {report['python']['version']}'s headers)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
