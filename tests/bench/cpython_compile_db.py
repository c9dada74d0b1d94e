#!/usr/bin/env python3
"""Turn CPython's own build recipe into a compile_commands.json for Modules/.

Used by tests/bench/cpython-modules-db.sh; standard library only.

Subcommands:
  from-make MAKE_N_OUTPUT --cc CC --build-dir DIR --src-dir DIR --out FILE
      Read the output of `make -n build_all` run in a configured (not built) CPython
      build directory, keep every compiler invocation whose source file lies under
      SRC/Modules, and write them as a compile_commands.json ("arguments" form, the
      compiler first, exactly the flags CPython's Makefile passes).
  verify DB --cc CC --jobs N --out-db FILE --report FILE
      Run `CC -fsyntax-only` on every entry (N at a time); write the entries that pass
      to FILE and a tab-separated report (file, status, first error) of the rest.
  pyinit-coverage DB --src-dir DIR [--setup FILE] [--configure-log FILE]
      Count the C files under SRC/Modules that define a PyInit_ function, and list those
      missing from the database with the reason (from Setup.stdlib and configure).
  baseline-commands DB --cc CC --out FILE
      Write one shell command per line: `cd DIR && CC -fsyntax-only -w FLAGS FILE` for the
      gil configuration, then the same with -DPy_GIL_DISABLED=1 (free-threaded).
"""

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys

SOURCE_SUFFIXES = (".c",)


def logical_lines(text):
    """Join backslash-continued lines, as the shell would read them."""
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        yield pending + raw
        pending = ""
    if pending:
        yield pending


def drop_command_substitutions(word):
    # getbuildinfo.c gets -DGITVERSION="`git ...`"; without a git checkout the shell
    # substitutes nothing, so do the same instead of keeping the backticks literally.
    return re.sub(r"`[^`]*`", "", word)


def compile_invocation(words, cc):
    """The source file of a `CC ... -c FILE` invocation, or None for anything else."""
    if not words or words[0] != cc or "-c" not in words:
        return None
    sources = [w for w in words[1:] if w.endswith(SOURCE_SUFFIXES) and not w.startswith("-")]
    # `-o X.o` never ends in .c, so exactly one source means a plain compile.
    return sources[0] if len(sources) == 1 else None


def cmd_from_make(args):
    with open(args.make_output, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    modules_dir = os.path.join(os.path.realpath(args.src_dir), "Modules") + os.sep
    build_dir = os.path.realpath(args.build_dir)
    entries, seen = [], set()
    for line in logical_lines(text):
        try:
            words = shlex.split(line.strip())
        except ValueError:
            continue  # shell control structures (if ...; then) are not compiles
        source = compile_invocation(words, args.cc)
        if source is None:
            continue
        path = os.path.realpath(os.path.join(build_dir, source))
        if not path.startswith(modules_dir) or path in seen:
            continue
        seen.add(path)
        arguments = [drop_command_substitutions(w) for w in words]
        entries.append({"directory": build_dir, "arguments": arguments, "file": path})
    entries.sort(key=lambda e: e["file"])
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(entries, handle, indent=1)
        handle.write("\n")
    print(len(entries))


def syntax_only_argv(entry, cc, extra=()):
    """The entry's command with -c/-o dropped and -fsyntax-only added."""
    words = entry["arguments"][1:]
    argv, skip = [cc, "-fsyntax-only"], False
    for word in words:
        if skip:
            skip = False
            continue
        if word == "-o":
            skip = True
            continue
        if word == "-c":
            continue
        argv.append(word)
    argv[2:2] = list(extra)
    return argv


def first_error(stderr):
    for line in stderr.splitlines():
        if "error:" in line:
            return line.strip()
    return stderr.strip().splitlines()[0] if stderr.strip() else "failed without a message"


def check_entry(entry, cc):
    argv = syntax_only_argv(entry, cc, extra=("-w",))
    proc = subprocess.run(argv, cwd=entry["directory"], capture_output=True, text=True)
    return entry, proc.returncode, first_error(proc.stderr) if proc.returncode else ""


def cmd_verify(args):
    with open(args.db, encoding="utf-8") as handle:
        entries = json.load(handle)
    passed, failed = [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for entry, code, error in pool.map(lambda e: check_entry(e, args.cc), entries):
            (failed if code else passed).append((entry, error))
    with open(args.out_db, "w", encoding="utf-8") as handle:
        json.dump([e for e, _ in passed], handle, indent=1)
        handle.write("\n")
    with open(args.report, "w", encoding="utf-8") as handle:
        for entry, error in failed:
            handle.write(f"{entry['file']}\tdropped\t{error}\n")
    print(f"{len(passed)} {len(failed)}")


# A definition, not a declaration or a mention: `PyInit_name(void) {`, across lines.
PYINIT_DEFINITION = re.compile(r"\bPyInit_\w+\s*\(\s*(?:void)?\s*\)\s*\{")


def defines_pyinit(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return bool(PYINIT_DEFINITION.search(handle.read()))
    except OSError:
        return False


def configure_module_status(configure_log):
    """{module: status} from configure's `checking for stdlib extension module X... S`."""
    status = {}
    pattern = re.compile(r"checking for stdlib extension module (\S+)\.\.\. (.+)$")
    try:
        with open(configure_log, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                match = pattern.search(line.strip())
                if match:
                    status[match.group(1)] = match.group(2)
    except OSError:
        pass
    return status


def setup_modules_by_source(setup_file):
    """{source path relative to Modules/: module} from (possibly commented) Setup lines."""
    modules = {}
    try:
        with open(setup_file, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                words = line.lstrip("#").split()
                if len(words) < 2 or not re.fullmatch(r"\w+", words[0]):
                    continue
                for word in words[1:]:
                    if word.endswith(".c"):
                        modules.setdefault(word, words[0])
    except OSError:
        pass
    return modules


WHY_STATUS = {
    "missing": "configure found no headers/library for it",
    "n/a": "not available on this platform",
    "disabled": "disabled by configure",
}


def why_not_built(path, modules_dir, setup_modules, status):
    relative = os.path.relpath(path, modules_dir)
    module = setup_modules.get(relative)
    if module is None:
        return "not in Modules/Setup.stdlib: not part of the Linux build"
    module_status = status.get(module, "unknown")
    return f"configure: {module} {module_status} ({WHY_STATUS.get(module_status, 'see configure.log')})"


def cmd_pyinit_coverage(args):
    with open(args.db, encoding="utf-8") as handle:
        in_db = {e["file"] for e in json.load(handle)}
    modules_dir = os.path.join(os.path.realpath(args.src_dir), "Modules")
    defining = []
    for folder, _, files in os.walk(modules_dir):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".c") and defines_pyinit(path):
                defining.append(path)
    defining.sort()
    missing = [p for p in defining if p not in in_db]
    setup_modules = setup_modules_by_source(args.setup) if args.setup else {}
    status = configure_module_status(args.configure_log) if args.configure_log else {}
    print(f"{len(defining)} {len(defining) - len(missing)}")
    for path in missing:
        reason = why_not_built(path, modules_dir, setup_modules, status)
        print(f"{os.path.relpath(path, os.path.dirname(modules_dir))}: {reason}")


def cmd_baseline_commands(args):
    with open(args.db, encoding="utf-8") as handle:
        entries = json.load(handle)
    with open(args.out, "w", encoding="utf-8") as handle:
        for extra in (("-w",), ("-w", "-DPy_GIL_DISABLED=1")):
            for entry in entries:
                argv = syntax_only_argv(entry, args.cc, extra=extra)
                handle.write(f"cd {shlex.quote(entry['directory'])} && {shlex.join(argv)}\n")
    print(2 * len(entries))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("from-make")
    p.add_argument("make_output")
    p.add_argument("--cc", required=True)
    p.add_argument("--build-dir", required=True)
    p.add_argument("--src-dir", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_from_make)

    p = sub.add_parser("verify")
    p.add_argument("db")
    p.add_argument("--cc", required=True)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out-db", required=True)
    p.add_argument("--report", required=True)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("pyinit-coverage")
    p.add_argument("db")
    p.add_argument("--src-dir", required=True)
    p.add_argument("--setup", help="the build's Modules/Setup.stdlib")
    p.add_argument("--configure-log", help="configure's output")
    p.set_defaults(func=cmd_pyinit_coverage)

    p = sub.add_parser("baseline-commands")
    p.add_argument("db")
    p.add_argument("--cc", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_baseline_commands)

    args = parser.parse_args()
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
