#!/usr/bin/env python3
"""Runs the GitHub Action (ci/action.yml) as the runner runs a composite action: each `run:`
step as `bash --noprofile --norc -eo pipefail`, with `${{ inputs.* }}` filled in, a fresh
$GITHUB_OUTPUT per step collected into `steps.<id>.outputs`, $GITHUB_ENV carried to the next
steps, and a fake $GITHUB_STEP_SUMMARY; then checks what it produced on the bundled example.
`uses:` steps (the SARIF upload) are not run here: their conditions are checked instead.

    action_test.py SUBCHECK_BINARY

Exits 77 (CTest's skip) when PyYAML (Debian's python3-yaml) is missing.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from ci_support import Cases

try:
    import yaml
except ImportError:
    print("SKIP: PyYAML is not installed (apt-get install python3-yaml)")
    sys.exit(77)

REPO = pathlib.Path(__file__).resolve().parents[2]
ACTION = REPO / "ci" / "action.yml"
EXAMPLE = REPO / "corpus" / "example_project"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class ActionError(Exception):
    """The action uses something this runner does not emulate: the test must say so."""


def substitute(text, inputs, steps):
    def value(match):
        expression = match.group(1)
        if expression.startswith("inputs."):
            name = expression[len("inputs."):]
            if name not in inputs:
                raise ActionError(f"unknown input in {match.group(0)}")
            return inputs[name]
        step = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if step:
            return steps.get(step.group(1), {}).get(step.group(2), "")
        raise ActionError(f"expression not emulated: {match.group(0)}")
    return EXPRESSION.sub(value, str(text))


def read_env_file(path):
    """KEY=VALUE lines and KEY<<DELIMITER blocks, as GitHub reads $GITHUB_ENV and $GITHUB_OUTPUT."""
    values, lines = {}, path.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            while index < len(lines) and lines[index] != delimiter:
                block.append(lines[index])
                index += 1
            index += 1
            values[key] = "\n".join(block)
        elif "=" in line:
            key, val = line.split("=", 1)
            values[key] = val
    return values


def run_action(given_inputs, workspace, extra_path=None):
    """Runs every run: step in order; stops at the first failing one, like the runner."""
    action = yaml.safe_load(ACTION.read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(given_inputs) - set(inputs)
    if unknown:
        raise ActionError(f"the action has no inputs {sorted(unknown)}")
    inputs.update(given_inputs)
    temp = workspace.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary, env_file = temp / "step-summary.md", temp / "github-env"
    summary.touch()
    env_file.touch()
    base_env = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    if extra_path:
        base_env["PATH"] = f"{extra_path}:{base_env['PATH']}"
    base_env.update(GITHUB_ACTION_PATH=str(ACTION.parent), GITHUB_WORKSPACE=str(workspace),
                    GITHUB_STEP_SUMMARY=str(summary), GITHUB_ENV=str(env_file), RUNNER_TEMP=str(temp))
    steps, status, logs = {}, 0, []
    for number, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            continue
        if step.get("shell") != "bash" or "if" in step:
            raise ActionError(f"step {step.get('name')!r}: only unconditional bash steps are emulated")
        output_file = temp / f"output-{number}"
        output_file.write_text("")
        env = dict(base_env, **read_env_file(env_file), GITHUB_OUTPUT=str(output_file))
        env.update({key: substitute(value, inputs, steps) for key, value in step.get("env", {}).items()})
        script = substitute(step["run"], inputs, steps)
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                                cwd=workspace, env=env, capture_output=True, text=True, timeout=600)
        logs.append(f"--- {step.get('name')}: exit {result.returncode}\n{result.stdout}{result.stderr}")
        steps[step.get("id", f"step{number}")] = read_env_file(output_file)
        status = result.returncode
        if status != 0:
            break
    outputs = {name: substitute(spec["value"], inputs, steps) for name, spec in action.get("outputs", {}).items()}
    return status, outputs, summary.read_text(), read_env_file(env_file), "\n".join(logs)


def sarif_listed(binary):
    text = subprocess.run([binary, "scan", "--help"], capture_output=True, text=True).stdout
    return any(re.search(r"\bsarif\b", line) for line in text.splitlines() if "--format" in line)


def fresh_workspace(parent, name):
    workspace = parent / name
    shutil.copytree(EXAMPLE, workspace)
    return workspace


def test_findings_fail_the_step(cases, binary, parent):
    workspace = fresh_workspace(parent / "default", "project")
    status, outputs, summary, env, log = run_action({"subcheck": binary}, workspace)
    cases.check("findings: the scan step exits 1", status == 1, log)
    cases.check("findings: output exit-code=1", outputs["exit-code"] == "1", f"{outputs}\n{log}")
    cases.check("SUBCHECK is the given binary", env.get("SUBCHECK") == binary, str(env))
    report_path = workspace / outputs["report"]
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    rules = {finding["rule"] for finding in report.get("findings", [])}
    cases.check("JSON report written with SI001", report.get("schema") == "subcheck-scan" and "SI001" in rules,
                f"{report_path}: {sorted(rules)}\n{log}")
    cases.check("job summary names SI001 and _speedups.c", "SI001" in summary and "_speedups.c" in summary,
                summary[:2000])
    cases.check("job summary is subcheck's Markdown: module table with verdict badges",
                "| module | subinterpreters | free-threading | findings |" in summary
                and "| `_speedups` | ❌ unsupported | ❌ requires-gil |" in summary, summary[:2000])
    annotations = [line for line in log.splitlines() if line.startswith("::error file=")]
    cases.check("annotations in the log: ::error on src/fastcache/_speedups.c for SI001",
                any("file=src/fastcache/_speedups.c," in line and "title=SI001 " in line for line in annotations),
                log[-3000:])
    cases.check("the text report is in the log too", "covered: 4 of 4 translation units parsed" in log, log[-3000:])
    if sarif_listed(binary):
        sarif_path = pathlib.Path(outputs["sarif"]) if outputs["sarif"] else None
        sarif = json.loads(sarif_path.read_text()) if sarif_path and sarif_path.is_file() else {}
        results = [r.get("ruleId") for run in sarif.get("runs", []) for r in run.get("results", [])]
        cases.check("SARIF 2.1.0 written with SI001 (subcheck lists sarif)",
                    sarif.get("version") == "2.1.0" and "SI001" in results, f"{outputs}\n{log}")
    else:
        cases.check("no SARIF output (this subcheck lists no sarif format)", outputs["sarif"] == "", str(outputs))


def test_fail_on_never(cases, binary, parent):
    workspace = fresh_workspace(parent / "never", "project")
    status, outputs, summary, _, log = run_action({"subcheck": binary, "fail-on": "never"}, workspace)
    cases.check("fail-on never: the step passes with exit-code=0", status == 0 and outputs["exit-code"] == "0", log)
    cases.check("fail-on never: the summary still lists the findings", "SI001" in summary, summary[:2000])


def test_hostile_path(cases, binary, parent):
    # Inputs are data: a path that would run a command if pasted into the script.
    name = 'odd $(touch PWNED) "quoted" `touch PWNED2`'
    workspace = fresh_workspace(parent / "hostile", name)
    status, outputs, _, _, log = run_action({"subcheck": binary, "path": str(workspace)}, workspace.parent)
    pwned = list(parent.rglob("PWNED*")) + list(pathlib.Path.cwd().glob("PWNED*"))
    cases.check("hostile path: nothing executed", not pwned, str(pwned))
    cases.check("hostile path: scanned as given (exit-code=1)", status == 1 and outputs["exit-code"] == "1", log)


def test_missing_path(cases, binary, parent):
    workspace = fresh_workspace(parent / "missing", "project")
    status, outputs, _, _, log = run_action({"subcheck": binary, "path": "no/such/dir"}, workspace)
    cases.check("missing path: exit-code=2 and the step fails", status == 2 and outputs["exit-code"] == "2", log)


def test_subcheck_on_path(cases, binary, parent):
    bin_dir = parent / "path-bin"
    bin_dir.mkdir()
    (bin_dir / "subcheck").symlink_to(binary)
    workspace = fresh_workspace(parent / "on-path", "project")
    status, _, _, env, log = run_action({"fail-on": "never"}, workspace, extra_path=bin_dir)
    cases.check("no subcheck input: the one on PATH is used, nothing built",
                status == 0 and env.get("SUBCHECK") == str(bin_dir / "subcheck"), f"{env}\n{log}")


def test_upload_step(cases):
    action = yaml.safe_load(ACTION.read_text())
    uploads = [s for s in action["runs"]["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    condition = uploads[0].get("if", "") if uploads else ""
    cases.check("SARIF upload step: runs after a failed scan, only with a SARIF file",
                len(uploads) == 1 and "!cancelled()" in condition and "steps.scan.outputs.sarif != ''" in condition
                and uploads[0]["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif }}", str(uploads))


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = str(pathlib.Path(argv[1]).resolve())
    cases = Cases()
    with tempfile.TemporaryDirectory(prefix="subcheck-action-") as temp:
        parent = pathlib.Path(temp)
        try:
            test_findings_fail_the_step(cases, binary, parent)
            test_fail_on_never(cases, binary, parent)
            test_hostile_path(cases, binary, parent)
            test_missing_path(cases, binary, parent)
            test_subcheck_on_path(cases, binary, parent)
            test_upload_step(cases)
        except ActionError as error:
            cases.check(f"the action can be emulated: {error}", False)
    print(f"{cases.passed} passed, {cases.failed} failed")
    return 1 if cases.failed or not cases.passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
