#!/usr/bin/python3
"""Closes a test run: totals, every skipped test with its reason, and one line per Python.

    ci/test-summary.py LABEL=JUNIT.xml [LABEL=JUNIT.xml ...]

Reads the JUnit files CTest writes (--output-junit). A GoogleTest skip prints
"FILE:LINE: Skipped" and then its reason; that reason is what the list shows. Tests
parameterised by interpreter end in /py3_12, /py3_13t ...: the per-Python lines count them.
A test skipped in one run and passed in another (a 3.13 test in the sid root, which has no
3.13, say) is covered: it is counted, not listed. What is listed was run nowhere.
Exits 0; the exit status of the run is CTest's, not this summary's.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections import defaultdict

PYTHON_SUFFIX = re.compile(r"/py(\d+)_(\d+)(t?)(?:\s|$)")


def skip_reason(output: str) -> str:
    lines = (output or "").splitlines()
    for index, line in enumerate(lines):
        if line.rstrip().endswith(": Skipped") or line.strip() == "Skipped":
            for reason in lines[index + 1:]:
                if reason.strip():
                    return reason.strip()
    return "(no reason printed)"


def test_key(name: str) -> str:
    """The test without CTest's "# GetParam() = ..." tail, the same in every run."""
    return name.split("  # ")[0].strip()


def main(arguments: list[str]) -> int:
    per_python = defaultdict(lambda: defaultdict(int))
    runs = []
    passed_anywhere = set()
    for argument in arguments:
        label, _, path = argument.partition("=")
        try:
            suite = ElementTree.parse(path).getroot()
        except (OSError, ElementTree.ParseError) as error:
            print(f"[{label}] no test results: {error}")
            continue
        counts = defaultdict(int)
        skipped = []
        for case in suite.iter("testcase"):
            status = case.get("status", "run")
            failed = case.find("failure") is not None or status == "fail"
            kind = "skipped" if status in ("notrun", "disabled") or case.find("skipped") is not None else (
                "failed" if failed else "passed")
            counts[kind] += 1
            name = case.get("name", "?")
            if kind == "skipped":
                skipped.append((name, skip_reason(case.findtext("system-out"))))
            elif kind == "passed":
                passed_anywhere.add(test_key(name))
            match = PYTHON_SUFFIX.search(name)
            if match:
                per_python[f"{match[1]}.{match[2]}{match[3]}"][kind] += 1
        runs.append((label, counts, skipped))
    for label, counts, skipped in runs:
        covered = [name for name, _ in skipped if test_key(name) in passed_anywhere]
        print(f"[{label}] {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
              + (f" ({len(covered)} of them passed in another run)" if covered else ""))
        for name, reason in skipped:
            if test_key(name) not in passed_anywhere:
                print(f"[{label}]   skipped {name}: {reason}")
    for python in sorted(per_python, key=lambda tag: [int(part) for part in re.findall(r"\d+", tag)] + [tag]):
        counts = per_python[python]
        print(f"Python {python}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped "
              "(interpreter-parameterised tests, all builds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
