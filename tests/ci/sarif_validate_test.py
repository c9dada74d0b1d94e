#!/usr/bin/env python3
"""Validates subcheck's SARIF with a real consumer: Microsoft's SARIF validator
(`sarif validate`, npm's @microsoft/sarif-multitool-linux, installed by ci/lib.sh's
ensure_sarif_validator into $SUBCHECK_CACHE/npm). Two real runs: a scan of
corpus/example_project (with --output-json beside it, so both formats come from one run)
and a probe of prober-corpus modules (a crash, a single-phase module, an isolated one) on
the GIL and free-threaded interpreters the build found. Every JSON-schema or SARIF rule
error the validator reports fails the test; its warnings are printed.

    sarif_validate_test.py SUBCHECK_BINARY PROBER_CORPUS_INDEX

Exits 77 (CTest's skip) when the validator is not installed (bash -c 'source ci/lib.sh &&
ensure_sarif_validator').
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

from ci_support import Cases, probe_directory

REPO = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("SUBCHECK_CACHE", pathlib.Path.home() / ".cache" / "subcheck"))
VALIDATOR = CACHE / "npm" / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"


def validate(cases, name, sarif_path, work):
    """Runs `sarif validate`; its own output is SARIF, whose results are the problems found."""
    out = work / (sarif_path.stem + ".validation.sarif")
    run = subprocess.run([str(VALIDATOR), "validate", str(sarif_path), "-o", str(out), "--log", "ForceOverwrite"],
                         capture_output=True, text=True, timeout=300)
    if run.returncode != 0 or not out.is_file():
        cases.check(f"{name}: the validator ran", False, run.stdout + run.stderr)
        return
    problems = [r for r in json.loads(out.read_text())["runs"][0].get("results", [])]
    errors = [p for p in problems if p.get("level", "warning") == "error"]
    for problem in problems:
        print(f"  validator {problem.get('level', 'warning')}: {problem.get('ruleId')}: "
              f"{json.dumps(problem.get('message'))[:300]}")
    cases.check(f"{name}: no schema or rule error from `sarif validate`", not errors and "error" not in
                run.stdout.lower().replace("error(s)", ""), run.stdout[-3000:])


def results_of(sarif):
    return [r for run in sarif.get("runs", []) for r in run.get("results", [])]


def test_scan(cases, binary, work):
    sarif_path, json_path = work / "example.sarif", work / "example.json"
    run = subprocess.run([binary, "scan", str(REPO / "corpus" / "example_project"), "--format", "sarif",
                          "-o", str(sarif_path), "--output-json", str(json_path), "--quiet"],
                         capture_output=True, text=True, cwd=work, timeout=600)
    cases.check("scan: exit 1 (the example has errors)", run.returncode == 1, run.stderr)
    sarif, report = json.loads(sarif_path.read_text()), json.loads(json_path.read_text())
    validate(cases, "scan", sarif_path, work)
    results = results_of(sarif)
    findings = report["findings"]
    cases.check("scan: one SARIF result per JSON finding", len(results) == len(findings) > 0,
                f"{len(results)} results, {len(findings)} findings")
    cases.check("scan: the same rule ids in both", sorted(r["ruleId"] for r in results) ==
                sorted(f["rule"] for f in findings))
    located = [r["locations"][0]["physicalLocation"] for r in results if r.get("locations")]
    cases.check("scan: every location relative to %SRCROOT% with a line",
                len(located) == len(results) and all(
                    p["artifactLocation"].get("uriBaseId") == "%SRCROOT%" and not
                    p["artifactLocation"]["uri"].startswith("/") and p["region"]["startLine"] >= 1 for p in located),
                json.dumps(located[:3], indent=1))
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    cases.check("scan: tool.driver.rules has every catalogue rule with tags and help",
                {"SI001", "FT001", "SI010"} <= {r["id"] for r in rules} and all(
                    r["properties"]["tags"] and r["helpUri"] and r["help"]["text"] for r in rules))
    verdicts = sarif["runs"][0]["properties"]["moduleVerdicts"]
    cases.check("scan: module verdicts as run properties", len(verdicts) == len(report["modules"]), str(verdicts))


def test_probe(cases, binary, index, work):
    target, chosen = probe_directory(index, work)
    if not chosen:
        print("SKIP probe: the prober corpus was built for no interpreter")
        return
    sarif_path = work / "probe.sarif"
    args = [binary, "probe", str(target), "--format", "sarif", "-o", str(sarif_path), "--no-stress",
            "--timeout", "20", "--quiet"]
    for interpreter in chosen:
        args += ["--python", interpreter["python"]]
    run = subprocess.run(args, capture_output=True, text=True, cwd=work, timeout=900)
    cases.check("probe: exit 1 (a module crashes)", run.returncode == 1, run.stderr)
    sarif = json.loads(sarif_path.read_text())
    validate(cases, "probe", sarif_path, work)
    results = results_of(sarif)
    crashes = [r for r in results if r["ruleId"] == "PROBE-SI" and "probe_segfault" in r["message"]["text"]
               and "crash" in r["message"]["text"]]
    cases.check("probe: the crash is an error result on the module's file",
                crashes and crashes[0]["level"] == "error" and
                crashes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "probed/" + crashes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].split("/")[-1] and "probe_segfault." in crashes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                json.dumps(results, indent=1)[:3000])
    probed = sarif["runs"][0]["properties"]["probeVerdicts"]
    cases.check("probe: probe verdicts as run properties, per Python",
                {p["python"] for p in probed} == {i["tag"] for i in chosen}, str(probed))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    if not VALIDATOR.is_file():
        print(f"SKIP: no SARIF validator at {VALIDATOR} (bash -c 'source ci/lib.sh && ensure_sarif_validator')")
        return 77
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    index = json.loads(pathlib.Path(sys.argv[2]).read_text())
    cases = Cases()
    with tempfile.TemporaryDirectory(prefix="subcheck-sarif-") as temp:
        work = pathlib.Path(temp)
        test_scan(cases, binary, work)
        test_probe(cases, binary, index, work)
    print(f"{cases.passed} passed, {cases.failed} failed")
    return 1 if cases.failed else 0


if __name__ == "__main__":
    sys.exit(main())
