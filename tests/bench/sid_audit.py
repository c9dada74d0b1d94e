#!/usr/bin/env python3
"""tests/bench/sid_audit.py - audit a Debian dist-packages with subcheck, checked by CPython.

Run by tests/bench/sid-audit.sh inside its sid root (ci/sid-root.sh), after the
distributions are installed. For each interpreter (--python, repeatable):

  subcheck  `subcheck probe DIR --python PY --format json` on the whole dist-packages
            directory, as a user audits an environment (stress on, the defaults);
  CPython   for every extension module subcheck found, and every one this script finds
            itself (a file whose suffix the interpreter loads; a file exporting several
            init functions is one module each), one fresh `python -I -c` process per
            check, with tests/bench/lib-dynload-crosscheck.py's checks: main, isolated,
            isolated-fresh, shared (legacy config with check_multi_interp_extensions on)
            and, on 3.14+, pool (an InterpreterPoolExecutor task that imports it); plus
            `fallback`: does the module's top-level package import the module in the main
            interpreter, and does the package import in an isolated subinterpreter without
            it (PyYAML: `import yaml` works there, yaml._yaml is refused)?

Each module is mapped to the Debian package that installed it (dpkg's file lists). The
verdicts are compared (subinterpreters, the pool column, the fallback package) and the
whole is written as Markdown (--markdown, '-' for stdout) and JSON (--json). Stdlib only.
Exit status: 0 when every row agrees, 1 when some disagree, 2 on a set-up error.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("crosscheck", HERE / "lib-dynload-crosscheck.py")
crosscheck = importlib.util.module_from_spec(_spec)
sys.modules["crosscheck"] = crosscheck  # dataclasses look their module up by name
_spec.loader.exec_module(crosscheck)

DPKG_INFO = Path("/var/lib/dpkg/info")
DPKG_STATUS = Path("/var/lib/dpkg/status")

# Does the module's top-level package import it in the main interpreter, and does the
# package import in an isolated subinterpreter without it? One fresh process; the
# subinterpreter's answer comes back as the message of the exception it ends with.
FALLBACK_SNIPPET = r"""
import json, sys
PREFIX, MODULE, DIRECTORY = sys.argv[1:4]
TOP = MODULE.partition(".")[0]
sys.path.insert(0, DIRECTORY)
result = {"package_in_main": None, "main_loads_module": None, "package_in_isolated": None,
          "isolated_has_module": None, "isolated_error": ""}
try:
    __import__(TOP)
    result["package_in_main"] = True
    result["main_loads_module"] = MODULE in sys.modules
except BaseException as e:
    result["package_in_main"] = False
    result["isolated_error"] = "main: " + type(e).__name__ + ": " + str(e)
interp = None
if result["main_loads_module"]:
    import _interpreters
    code = ("import sys; sys.path.insert(0, " + repr(DIRECTORY) + ")\n"
            "try:\n    __import__(" + repr(TOP) + ")\n"
            "except BaseException as e:\n    raise RuntimeError('PACKAGE-FAILED ' + type(e).__name__ + ': ' + str(e))\n"
            "raise RuntimeError('WITH-MODULE' if " + repr(MODULE) + " in sys.modules else 'WITHOUT-MODULE')\n")
    interp = _interpreters.create(_interpreters.new_config("isolated"))
    failure = _interpreters.exec(interp, code)
    message = failure.msg if failure is not None else ""
    result["package_in_isolated"] = message in ("WITH-MODULE", "WITHOUT-MODULE")
    result["isolated_has_module"] = (message == "WITH-MODULE") if result["package_in_isolated"] else None
    if not result["package_in_isolated"]:
        result["isolated_error"] = message
print(PREFIX + json.dumps(result), flush=True)
if interp is not None:
    _interpreters.destroy(interp)
"""


def run_fallback_check(interpreter, module: str, directory: str, timeout: float) -> dict:
    started = time.monotonic()
    try:
        proc = subprocess.run([interpreter.executable, "-I", "-c", FALLBACK_SNIPPET, crosscheck.RESULT_PREFIX, module,
                               directory], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, errors="replace", cwd="/tmp")
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "elapsed_ms": int((time.monotonic() - started) * 1000)}
    result = {"outcome": "ok" if proc.returncode == 0 else ("crash" if proc.returncode < 0 else "exit"),
              "returncode": proc.returncode, "elapsed_ms": int((time.monotonic() - started) * 1000)}
    for line in proc.stdout.splitlines():
        if line.startswith(crosscheck.RESULT_PREFIX):
            result.update(json.loads(line[len(crosscheck.RESULT_PREFIX):]))
    return result


def cpython_fallback(check: dict, isolated_refused: bool, module: str) -> str | None:
    """The package CPython shows falling back, or None: its import loads the module in the
    main interpreter, the module is refused in an isolated subinterpreter, and the package
    imports there anyway, without it."""
    if "." not in module or not isolated_refused:
        return None
    if check.get("main_loads_module") and check.get("package_in_isolated") and check.get("isolated_has_module") is False:
        return module.partition(".")[0]
    return None


# ---------------------------------------------------------------------------------------
# Which Debian package installed each file


def dpkg_owners() -> dict[str, str]:
    owners = {}
    for listing in DPKG_INFO.glob("*.list"):
        package = listing.name[: -len(".list")].split(":")[0]
        for line in listing.read_text(errors="replace").splitlines():
            owners[line] = package
    return owners


def dpkg_versions() -> dict[str, str]:
    versions, package = {}, ""
    for line in DPKG_STATUS.read_text(errors="replace").splitlines():
        if line.startswith("Package: "):
            package = line.split(": ", 1)[1]
        elif line.startswith("Version: ") and package:
            versions[package] = line.split(": ", 1)[1]
    return versions


# ---------------------------------------------------------------------------------------
# The modules


def walk_modules(directory: str, interpreter) -> dict[str, tuple[str, bool]]:
    """Dotted name -> (file, by_file) for every file under DIRECTORY whose suffix the
    interpreter loads; other init functions of a file are modules of their own."""
    modules = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        relative = os.path.relpath(root, directory)
        package = [] if relative == "." else relative.split(os.sep)
        if any(not part.isidentifier() for part in package):
            continue  # *.dist-info, data directories: not importable as packages
        for entry in sorted(files):
            for suffix in interpreter.suffixes:
                if entry.endswith(suffix) and "." not in entry[: -len(suffix)]:
                    stem, path = entry[: -len(suffix)], os.path.join(root, entry)
                    modules.setdefault(".".join(package + [stem]), (path, False))
                    # mypyc's shims also export PyInit___init__ (charset_normalizer's cd and
                    # md): no import name reaches it, and subcheck does not probe it.
                    for other in crosscheck.init_names(path, interpreter):
                        if other != stem and other.isidentifier() and other != "__init__":
                            modules.setdefault(".".join(package + [other]), (path, True))
                    break
    return modules


@dataclasses.dataclass
class Row:
    module: str
    file: str
    package: str
    cpython_sub: str = "-"
    cpython_pool: str = "-"
    cpython_fallback: str | None = None
    why: str = ""
    subcheck_sub: str = "-"
    subcheck_pool: str = "-"
    subcheck_fallback: str | None = None
    subcheck_summary: str = ""
    checks: dict = dataclasses.field(default_factory=dict)

    @property
    def agrees(self) -> bool:
        return (self.cpython_sub == self.subcheck_sub and self.cpython_pool == self.subcheck_pool
                and self.cpython_fallback == self.subcheck_fallback)


def run_subcheck(subcheck: str, directory: str, interpreter, jobs: int, out_json: Path) -> tuple[dict, float, int, str]:
    command = [subcheck, "probe", directory, "--python", interpreter.executable, "--format", "json",
               "--jobs", str(jobs), "-o", str(out_json)]
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - started
    try:
        return json.loads(out_json.read_text()), wall, proc.returncode, " ".join(command)
    except (OSError, json.JSONDecodeError):
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode} without JSON: {proc.stderr[-800:]}")


def audit_interpreter(interpreter, args, owners: dict[str, str], workdir: Path) -> tuple[list[Row], dict]:
    previous = (args.reuse or {}).get(interpreter.tag)
    if previous is None:
        log(f"{interpreter.tag}: subcheck probe {args.dir}")
        document, subcheck_wall, subcheck_rc, command = run_subcheck(
            args.subcheck, args.dir, interpreter, args.jobs, workdir / f"subcheck-{interpreter.tag}.json")
    else:  # --reuse: the same run's subcheck report and figures
        document = json.loads((workdir / f"subcheck-{interpreter.tag}.json").read_text())
        subcheck_wall, subcheck_rc, command = (previous["stats"]["subcheck_wall"], previous["stats"]["subcheck_exit"],
                                               previous["stats"]["subcheck_command"])
    # Files built for the other interpreter (cpython-315 beside cpython-314) have the same
    # module names and are reported abi-mismatch, never loaded: not this interpreter's modules.
    reports = {r["module"]: r for r in crosscheck.module_reports(document.get("modules", []))
               if r["subinterpreters"] != "abi-mismatch"}
    found = walk_modules(args.dir, interpreter)
    names = sorted(set(found) | set(reports))
    rows = {}
    for name in names:
        file, by_file = found.get(name, (reports.get(name, {}).get("file", ""), False))
        rows[name] = Row(name, file, owners.get(file, owners.get(os.path.realpath(file), "?")))
        if name in reports:
            report = reports[name]
            rows[name].subcheck_sub = report["subinterpreters"]
            rows[name].subcheck_pool = report.get("interpreter_pool", "-")
            rows[name].subcheck_fallback = report.get("fallback_package")
            rows[name].subcheck_summary = report.get("summary", "")
    log(f"{interpreter.tag}: subcheck took {subcheck_wall:.1f} s for {len(reports)} modules; asking CPython "
        f"about {len(names)} modules")
    checks = crosscheck.checks_for(interpreter)
    started = time.monotonic()
    outcomes: dict[str, dict] = {name: {} for name in names}
    futures = {}
    if previous is not None:
        outcomes.update(previous["outcomes"])
        names = [name for name in names if name in previous["outcomes"]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name in names if previous is None else []:
            file, by_file = found.get(name, (rows[name].file, False))
            for check in checks:
                futures[pool.submit(crosscheck.run_check, interpreter, name, args.dir, check, args.timeout,
                                    file if by_file else "")] = (name, check)
            if "." in name:
                futures[pool.submit(run_fallback_check, interpreter, name, args.dir, args.timeout)] = (name, "fallback")
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            name, check = futures[future]
            outcomes[name][check] = future.result()
            if done % 100 == 0:
                log(f"{interpreter.tag}: {done}/{len(futures)} CPython checks")
    cpython_wall = time.monotonic() - started if previous is None else previous["stats"]["cpython_wall"]
    for name in names:
        row, got = rows[name], outcomes[name]
        row.cpython_sub, _, row.why = crosscheck.cpython_verdicts(got, False)
        row.cpython_pool = crosscheck.cpython_pool_verdict(got.get("pool"))
        refused = row.cpython_sub in ("unsupported", "shared-gil-only")
        row.cpython_fallback = cpython_fallback(got.get("fallback", {}), refused, name)
        row.checks = {check: dataclasses.asdict(o) if dataclasses.is_dataclass(o) else o for check, o in got.items()}
    stats = {"interpreter": interpreter.tag, "version": interpreter.version, "executable": interpreter.executable,
             "modules": len(names), "subcheck_modules": len(reports), "subcheck_wall": subcheck_wall,
             "subcheck_exit": subcheck_rc, "subcheck_command": command, "cpython_wall": cpython_wall,
             "cpython_processes": len(futures) if previous is None else previous["stats"]["cpython_processes"],
             "subcheck_problems": document.get("problems", []),
             "sandbox": [i.get("sandbox", {}).get("level", "") for i in document.get("interpreters", [])]}
    return [rows[name] for name in names], stats


def load_previous(path: str) -> dict:
    """--reuse FILE: a previous run's --json, per interpreter tag: its figures and every
    CPython check outcome (as CheckOutcome again), to rebuild the comparison without
    asking CPython again."""
    saved = json.loads(Path(path).read_text())
    previous = {}
    for stats in saved["stats"]:
        outcomes = {}
        for row in saved["rows"][stats["interpreter"]]:
            outcomes[row["module"]] = {check: (outcome if check == "fallback" else crosscheck.CheckOutcome(**outcome))
                                       for check, outcome in row["checks"].items()}
        previous[stats["interpreter"]] = {"stats": stats, "outcomes": outcomes}
    return previous


def log(text: str) -> None:
    print(f"[sid-audit] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The report


def cell(text: str, limit: int = 120) -> str:
    return crosscheck.markdown_cell(text or "", limit)


def abnormal(row: Row) -> list[str]:
    """CPython checks that crashed, hung or exited, and subcheck verdicts saying so."""
    seen = []
    for check, outcome in row.checks.items():
        if outcome.get("outcome") in ("crash", "timeout", "exit"):
            detail = f"signal {outcome.get('signal')}" if outcome.get("outcome") == "crash" else (
                f"code {outcome.get('exit_code', outcome.get('returncode'))}" if outcome.get("outcome") == "exit" else "")
            seen.append(f"CPython {check} check: {outcome['outcome']} {detail}".rstrip())
    if row.subcheck_sub in ("crash", "timeout"):
        seen.append(f"subcheck: {row.subcheck_sub}: {row.subcheck_summary}")
    return seen


def distribution_summary(rows_by_tag: dict[str, list[Row]]) -> dict[str, dict]:
    """Per Debian package: its modules and, per interpreter, what an isolated
    subinterpreter makes of it."""
    packages: dict[str, dict] = {}
    for tag, rows in rows_by_tag.items():
        for row in rows:
            entry = packages.setdefault(row.package, {"modules": set(), "tags": {}})
            entry["modules"].add(row.module)
            per = entry["tags"].setdefault(tag, {"supported": 0, "refused": 0, "other": 0, "fallbacks": set(),
                                                 "total": 0})
            per["total"] += 1
            if row.cpython_sub == "supported":
                per["supported"] += 1
            elif row.cpython_sub in ("unsupported", "shared-gil-only"):
                per["refused"] += 1
            else:
                per["other"] += 1
            if row.subcheck_fallback:
                per["fallbacks"].add(f"{row.subcheck_fallback} without {row.module}")
    return packages


def summary_word(per: dict) -> str:
    if per["total"] == per["supported"]:
        return f"all {per['total']} load"
    parts = []
    if per["supported"]:
        parts.append(f"{per['supported']} load")
    if per["refused"]:
        parts.append(f"{per['refused']} refused")
    if per["other"]:
        parts.append(f"{per['other']} broken/crash/other")
    text = ", ".join(parts)
    if per["fallbacks"]:
        text += "; imports only by falling back: " + ", ".join(sorted(per["fallbacks"]))
    return text


def markdown(rows_by_tag: dict[str, list[Row]], stats: list[dict], versions: dict[str, str], wall: float) -> str:
    tags = list(rows_by_tag)
    lines = [f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `tests/bench/sid_audit.py` "
             f"(driven by `tests/bench/sid-audit.sh`) on {os.cpu_count()} cores; this part took {wall:.0f} s.", ""]
    lines += ["| interpreter | modules | agree | `subcheck probe` (modules, wall, exit) | CPython side (processes, wall) |",
              "| --- | --- | --- | --- | --- |"]
    for s in stats:
        rows = rows_by_tag[s["interpreter"]]
        lines.append(f"| CPython {s['version']} ({s['interpreter']}) | {s['modules']} | "
                     f"{sum(r.agrees for r in rows)} / {len(rows)} | {s['subcheck_modules']}, "
                     f"{s['subcheck_wall']:.1f} s, {s['subcheck_exit']} | {s['cpython_processes']}, "
                     f"{s['cpython_wall']:.1f} s |")
    lines.append("")
    # Per distribution.
    packages = distribution_summary(rows_by_tag)
    lines += ["### Per distribution", "",
              "| Debian package | version | modules | " + " | ".join(f"isolated subinterpreters, {t}" for t in tags) + " |",
              "| --- | --- | --- | " + " | ".join("---" for _ in tags) + " |"]
    for package in sorted(packages):
        entry = packages[package]
        cells = [summary_word(entry["tags"][t]) if t in entry["tags"] else "(no module for it)" for t in tags]
        lines.append(f"| `{package}` | {versions.get(package, '?')} | {len(entry['modules'])} | " + " | ".join(cells) + " |")
    lines.append("")
    # Per module.
    for s in stats:
        tag = s["interpreter"]
        lines += [f"### Per module, CPython {s['version']} ({tag})", "",
                  "| Debian package | module | CPython: subinterpreters | subcheck | CPython: pool task | subcheck | "
                  "CPython: falls back | subcheck | | subcheck's summary |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in rows_by_tag[tag]:
            mark = "✓" if row.agrees else "**✗**"
            lines.append(f"| `{row.package}` | `{row.module}` | {row.cpython_sub} | {row.subcheck_sub} | "
                         f"{row.cpython_pool} | {row.subcheck_pool} | {row.cpython_fallback or '-'} | "
                         f"{row.subcheck_fallback or '-'} | {mark} | {cell(row.subcheck_summary or row.why)} |")
        lines.append("")
    # Disagreements and abnormal ends.
    lines += ["### Disagreements", ""]
    any_row = False
    for tag, rows in rows_by_tag.items():
        for row in rows:
            if not row.agrees:
                any_row = True
                lines.append(f"- {tag} `{row.module}` (`{row.package}`): CPython {row.cpython_sub} / pool "
                             f"{row.cpython_pool} / fallback {row.cpython_fallback or '-'} ({cell(row.why, 300)}); "
                             f"subcheck {row.subcheck_sub} / pool {row.subcheck_pool} / fallback "
                             f"{row.subcheck_fallback or '-'} ({cell(row.subcheck_summary, 300)})")
    lines += (["- none"] if not any_row else []) + ["", "### Crashes, hangs, timeouts and exits", ""]
    any_row = False
    for tag, rows in rows_by_tag.items():
        for row in rows:
            for what in abnormal(row):
                any_row = True
                lines.append(f"- {tag} `{row.module}`: {cell(what, 300)}")
    lines += (["- none"] if not any_row else []) + [""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", required=True, help="interpreter (repeatable)")
    parser.add_argument("--dir", default="/usr/lib/python3/dist-packages", help="the directory to audit")
    parser.add_argument("--subcheck", required=True, help="the subcheck binary")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once, both sides (default 2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per CPython check process (default 60)")
    parser.add_argument("--workdir", default="/tmp/sid-audit", help="where subcheck's JSON reports go")
    parser.add_argument("--json", help="write every row and check here")
    parser.add_argument("--markdown", default="-", help="write the report here ('-': stdout)")
    parser.add_argument("--reuse", metavar="JSON", help="rebuild the report from this earlier --json and the "
                        "subcheck reports in --workdir, without running anything")
    args = parser.parse_args()
    args.reuse = load_previous(args.reuse) if args.reuse else None

    started = time.monotonic()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    interpreters = []
    for request in args.python:
        found = crosscheck.describe(request)
        if found is None:
            print(f"{request}: not a CPython >= 3.12", file=sys.stderr)
            return 2
        interpreters.append(found)
    owners, versions = dpkg_owners(), dpkg_versions()
    rows_by_tag, stats = {}, []
    for interpreter in interpreters:
        rows, stat = audit_interpreter(interpreter, args, owners, workdir)
        rows_by_tag[interpreter.tag] = rows
        stats.append(stat)
    text = markdown(rows_by_tag, stats, versions, time.monotonic() - started)
    if args.markdown == "-":
        print(text)
    else:
        Path(args.markdown).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"stats": stats, "rows": {t: [dataclasses.asdict(r) for r in rows]
                                                                        for t, rows in rows_by_tag.items()}},
                                              indent=1, default=str))
    return 0 if all(r.agrees for rows in rows_by_tag.values() for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
