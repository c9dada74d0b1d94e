#!/usr/bin/env python3
"""Validates subcheck's JUnit XML (`--format junit`) with xmllint against the JUnit XSD in
docs/schema/junit.xsd (the structure Jenkins' junit-10.xsd describes). Three real runs: a
scan of corpus/example_project (with --output-junit beside --format json, so both come
from one run); the same project copied under a directory whose name holds characters XML
must escape or cannot carry at all (& < > " ', a vertical tab, a byte that is not UTF-8),
so the findings' paths in the failure text exercise the escaping; and a probe of
prober-corpus modules (a crash, a single-phase module, an isolated one) on the GIL and
free-threaded interpreters the build found.

    junit_validate_test.py SUBCHECK_BINARY PROBER_CORPUS_INDEX

Exits 77 (CTest's skip) when xmllint is missing (Debian's libxml2-utils, in ci/lib.sh's
SUBCHECK_DEBS).
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from ci_support import Cases, probe_directory

REPO = pathlib.Path(__file__).resolve().parents[2]
XSD = REPO / "docs" / "schema" / "junit.xsd"


def validate(cases, name, path):
    run = subprocess.run(["xmllint", "--noout", "--schema", str(XSD), str(path)], capture_output=True, text=True,
                         errors="replace", timeout=120)
    cases.check(f"{name}: xmllint --schema junit.xsd accepts it", run.returncode == 0, run.stderr[-3000:])


def suites_of(root):
    return {suite.get("name"): suite for suite in root.findall("testsuite")}


def case(suite, name):
    found = [c for c in suite.findall("testcase") if c.get("name") == name]
    return found[0] if found else None


def counts_add_up(cases, name, root):
    total = {key: 0 for key in ("tests", "failures", "errors", "skipped")}
    consistent = True
    for suite in root.findall("testsuite"):
        tests = suite.findall("testcase")
        actual = {"tests": len(tests), "failures": sum(1 for t in tests if t.find("failure") is not None),
                  "errors": sum(1 for t in tests if t.find("error") is not None),
                  "skipped": sum(1 for t in tests if t.find("skipped") is not None)}
        for key, value in actual.items():
            consistent = consistent and int(suite.get(key)) == value
            total[key] += value
    consistent = consistent and all(int(root.get(key)) == value for key, value in total.items())
    cases.check(f"{name}: tests/failures/errors/skipped counts match the testcases", consistent,
                ET.tostring(root, encoding="unicode")[:2000])


def test_scan(cases, binary, work):
    xml_path, json_path = work / "example.xml", work / "example.json"
    run = subprocess.run([binary, "scan", str(REPO / "corpus" / "example_project"), "--format", "json",
                          "-o", str(json_path), "--output-junit", str(xml_path), "--quiet"],
                         capture_output=True, text=True, cwd=work, timeout=600)
    cases.check("scan: exit 1 (the example has errors)", run.returncode == 1, run.stderr)
    validate(cases, "scan", xml_path)
    root, report = ET.parse(xml_path).getroot(), json.loads(json_path.read_text())
    counts_add_up(cases, "scan", root)
    suites = suites_of(root)
    cases.check("scan: suites subinterpreters, free-threading, coverage",
                {"subinterpreters", "free-threading", "coverage"} <= set(suites), str(list(suites)))
    modules = {m["name"] for m in report["modules"]}
    cases.check("scan: one testcase per module in each static suite",
                all({c.get("name") for c in suites[s].findall("testcase")} >= modules
                    for s in ("subinterpreters", "free-threading")), str(modules))
    failure = case(suites["subinterpreters"], "_speedups").find("failure")
    si001 = [f for f in report["findings"] if f["rule"] == "SI001"][0]
    where = f"{pathlib.Path(si001['file']).name}:{si001['line']}"
    cases.check("scan: _speedups fails subinterpreters with SI001 at file:line and its message",
                failure is not None and failure.get("type") == "unsupported" and "SI001" in failure.text and
                where in failure.text and si001["message"] in failure.text, ET.tostring(case(suites["subinterpreters"], "_speedups"), encoding="unicode"))
    ft = case(suites["free-threading"], "_speedups").find("failure")
    cases.check("scan: _speedups fails free-threading with FT001 and not SI001",
                ft is not None and "FT001" in ft.text and "SI001" not in ft.text)
    core = case(suites["subinterpreters"], "_core")
    cases.check("scan: _core passes", core is not None and len(list(core)) == 0)
    cases.check("scan: the coverage testcase passes", len(list(case(suites["coverage"], "complete answer"))) == 0)


def test_escaping(cases, binary, work):
    # os.fsencode keeps the byte that is not UTF-8 as it is.
    odd = os.fsencode(str(work)) + b"/odd &<>\"' \x0b \xff dir"
    os.makedirs(odd)
    shutil.copytree(REPO / "corpus" / "example_project", os.fsdecode(odd + b"/project"))
    xml_path = work / "odd.xml"
    run = subprocess.run([binary, "scan", odd + b"/project", "--format", "junit", "-o", str(xml_path), "--quiet"],
                         capture_output=True, cwd=work, timeout=600)
    cases.check("escaping: exit 1", run.returncode == 1, run.stderr.decode(errors="replace"))
    validate(cases, "escaping", xml_path)
    text = xml_path.read_bytes().decode("utf-8")  # strict: the document must be UTF-8
    failure = case(suites_of(ET.fromstring(text.encode()))["subinterpreters"], "_speedups").find("failure")
    cases.check("escaping: the path survives: & < > \" ' kept, the vertical tab spelled \\u000b, the bad byte U+FFFD",
                failure is not None and "odd &<>\"' \\u000b \ufffd dir/project/" in failure.text,
                failure.text if failure is not None else text[:2000])


def test_probe(cases, binary, index, work):
    target, chosen = probe_directory(index, work)
    if not chosen:
        print("SKIP probe: the prober corpus was built for no interpreter")
        return
    xml_path = work / "probe.xml"
    args = [binary, "probe", str(target), "--format", "junit", "-o", str(xml_path), "--no-stress",
            "--timeout", "20", "--quiet"]
    for interpreter in chosen:
        args += ["--python", interpreter["python"]]
    run = subprocess.run(args, capture_output=True, text=True, cwd=work, timeout=900)
    cases.check("probe: exit 1 (a module crashes)", run.returncode == 1, run.stderr)
    validate(cases, "probe", xml_path)
    root = ET.parse(xml_path).getroot()
    counts_add_up(cases, "probe", root)
    suites = suites_of(root)
    expected = {f"subinterpreters ({i['tag']})" for i in chosen}
    expected |= {f"free-threading ({i['tag']})" for i in chosen if i["free_threaded"]}
    cases.check("probe: a suite per aspect and Python tag (free-threading only on free-threaded builds)",
                set(suites) == expected | {"coverage"}, str(list(suites)))
    gil_tag = chosen[0]["tag"]
    crash = case(suites[f"subinterpreters ({gil_tag})"], "probe_segfault")
    failure = crash.find("failure") if crash is not None else None
    cases.check("probe: the crash is a failure carrying the probe evidence",
                failure is not None and failure.get("type") == "crash" and "probe " in failure.text and
                "outcome" not in failure.get("message", "x") and "crash" in failure.text,
                ET.tostring(crash, encoding="unicode")[:3000] if crash is not None else str(list(suites)))
    isolated = case(suites[f"subinterpreters ({gil_tag})"], "probe_isolated")
    cases.check("probe: the isolated module passes", isolated is not None and isolated.find("failure") is None and
                isolated.find("error") is None and isolated.find("skipped") is None)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    if shutil.which("xmllint") is None:
        print("SKIP: no xmllint (Debian's libxml2-utils: bash -c 'source ci/lib.sh && install_debs')")
        return 77
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    index = json.loads(pathlib.Path(sys.argv[2]).read_text())
    cases = Cases()
    with tempfile.TemporaryDirectory(prefix="subcheck-junit-") as temp:
        work = pathlib.Path(temp)
        test_scan(cases, binary, work)
        test_escaping(cases, binary, work)
        test_probe(cases, binary, index, work)
    print(f"{cases.passed} passed, {cases.failed} failed")
    return 1 if cases.failed else 0


if __name__ == "__main__":
    sys.exit(main())
