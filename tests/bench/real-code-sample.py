#!/usr/bin/env python3
"""Draw the hand-read sample of docs/real-code.md from the JSON reports of real-code-scan.sh.

Usage: real-code-sample.py OUT_DIR [--per-rule K] [--total N] [--seed S]

Findings are grouped by rule and by origin (CPython's Modules/ or a third-party project, so
that CPython's many findings do not crowd the others out) across every OUT_DIR/*.json; each
group gives min(its count, K) findings drawn at random (seeded, so the same reports give the
same sample), then more are drawn from the rest at random until the sample holds N. One line per finding:
  index  rule  project  file:line  modules  message
Paths are shown relative to the scanned root of their report.
"""
import argparse
import collections
import json
import os
import random
import sys


def load(out_dir):
    findings = []
    for name in sorted(os.listdir(out_dir)):
        if not name.endswith(".json"):
            continue
        report = json.load(open(os.path.join(out_dir, name)))
        root = report.get("root", "")
        project = name[:-5]
        for finding in report["findings"]:
            path = os.path.relpath(finding["file"], root) if root else finding["file"]
            findings.append((finding["rule"], project, path, finding["line"],
                             ",".join(finding.get("modules", [])) or "-", finding["message"]))
    return findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--per-rule", type=int, default=4)
    parser.add_argument("--total", type=int, default=90)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    findings = load(args.out_dir)
    rng = random.Random(args.seed)
    groups = collections.defaultdict(list)
    for finding in findings:
        groups[(finding[0], finding[1] == "cpython")].append(finding)
    sample = []
    for key in sorted(groups):
        sample += rng.sample(groups[key], min(len(groups[key]), args.per_rule))
    rest = [f for f in findings if f not in sample]
    sample += rng.sample(rest, max(0, min(len(rest), args.total - len(sample))))
    sample.sort()
    counts = collections.Counter(f[0] for f in findings)
    print("# findings per rule: " + ", ".join(f"{r} {n}" for r, n in sorted(counts.items())),
          file=sys.stderr)
    for index, (rule, project, path, line, modules, message) in enumerate(sample, 1):
        print(f"{index}\t{rule}\t{project}\t{path}:{line}\t{modules}\t{message}")


if __name__ == "__main__":
    main()
