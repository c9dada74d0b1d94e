#!/usr/bin/env python3
"""Opens subcheck's HTML report (`--format html`) in headless Chromium, as its reader
would, and checks the page Chromium rendered (its DOM after the page's script ran), not
the HTML source:

- a scan of corpus/example_project (`--output-html` beside `--format json`, one run): one
  row per module and finding, the verdicts of the JSON in their cells, the summary first;
  the row counters the script fills in; the filter given in the address (`#filter=FT001`,
  `#problems`) hides exactly the rows it should;
- an audit of a site-packages directory made here (four distributions of prober-corpus
  modules: one that loads in isolated subinterpreters, one that refuses them, one that
  crashes, with a name meant to inject markup, and a package that imports in a
  subinterpreter only without its refused accelerator) on a GIL and a free-threaded
  interpreter: one row per distribution and Python with the JSON's verdicts, the headline
  counting the blocked ones, the crash's evidence with the child's output, the hostile name
  shown as text and no element injected;
- the page is self-contained (a Content-Security-Policy forbidding fetches; no element
  that loads anything) and a screenshot of it is a real PNG of the size asked for.

    html_report_test.py SUBCHECK_BINARY PROBER_CORPUS_INDEX

Exits 77 (CTest's skip) when Chromium is missing (Debian's chromium, in ci/lib.sh's
SUBCHECK_DEBS; the sid root does not install it: the report does not depend on the Python).
"""
import html.parser
import json
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

from ci_support import Cases

REPO = pathlib.Path(__file__).resolve().parents[2]


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def find_all(self, tag):
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    yield child
                yield from child.find_all(tag)

    def by_id(self, wanted):
        for child in self.children:
            if isinstance(child, Node):
                if child.attrs.get("id") == wanted:
                    return child
                found = child.by_id(wanted)
                if found is not None:
                    return found
        return None


class DomBuilder(html.parser.HTMLParser):
    """Chromium's --dump-dom serialisation as a tree (void elements closed at once)."""
    VOID = {"meta", "input", "br", "img", "link", "hr", "source", "col", "area", "base", "embed", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def chromium_args(browser, profile):
    # --no-sandbox: CI runs as root, where Chromium refuses its own sandbox.
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile}"]


def rendered(browser, page, fragment, profile):
    run = subprocess.run(chromium_args(browser, profile) + ["--dump-dom", page.as_uri() + fragment],
                         capture_output=True, text=True, timeout=120)
    builder = DomBuilder()
    builder.feed(run.stdout)
    return builder.root, run


def rows(dom, table_id):
    table = dom.by_id(table_id)
    if table is None:
        return []
    body = next(table.find_all("tbody"), None)
    return [] if body is None else [tr for tr in body.find_all("tr")]


def cells(row):
    return [td.text().strip() for td in row.find_all("td") if td.parent is row]


def shown(row):
    return "hidden" not in row.attrs


def count_text(dom, table_id):
    node = dom.by_id(table_id + "-count")
    return node.text() if node is not None else None


def test_scan(cases, binary, browser, work):
    page, json_path = work / "scan.html", work / "scan.json"
    run = subprocess.run([binary, "scan", str(REPO / "corpus" / "example_project"), "--format", "json", "-o",
                          str(json_path), "--output-html", str(page), "--quiet", "--no-cache"],
                         capture_output=True, text=True, cwd=work, timeout=600)
    cases.check("scan: exit 1 (the example has errors)", run.returncode == 1, run.stderr)
    report = json.loads(json_path.read_text())
    dom, chrome = rendered(browser, page, "", work / "profile")
    module_rows = {cells(r)[0]: cells(r) for r in rows(dom, "modules")}
    expected = {m["name"]: m["verdicts"] for m in report["modules"]}
    cases.check("scan: one module row per module of the JSON, its verdicts in the cells",
                set(module_rows) == set(expected) and all(
                    module_rows[name][4] == verdicts["subinterpreters"] and
                    module_rows[name][5] == verdicts["free_threading"] for name, verdicts in expected.items()),
                f"{module_rows}\n{expected}\n{chrome.stderr[-2000:]}")
    finding_rows = rows(dom, "findings")
    cases.check("scan: one finding row per finding, rule ids as in the JSON",
                sorted(cells(r)[1] for r in finding_rows) == sorted(f["rule"] for f in report["findings"]),
                str([cells(r) for r in finding_rows]))
    total = len(report["findings"])
    cases.check("scan: the script ran and counted the rows", count_text(dom, "findings") == f"({total} rows)",
                str(count_text(dom, "findings")))
    summary = dom.by_id("summary")
    cases.check("scan: the summary names the module that is not safe",
                summary is not None and "not safe in isolated subinterpreters: _speedups" in summary.text(),
                summary.text() if summary is not None else "no #summary")

    dom, _ = rendered(browser, page, "#filter=FT001", work / "profile")
    finding_rows = rows(dom, "findings")
    visible = [cells(r)[1] for r in finding_rows if shown(r)]
    cases.check("scan: #filter=FT001 shows the FT001 rows only and says so",
                visible == ["FT001"] * sum(f["rule"] == "FT001" for f in report["findings"]) and visible and
                count_text(dom, "findings") == f"({len(visible)} of {total} rows shown)",
                f"{visible} {count_text(dom, 'findings')}")

    dom, _ = rendered(browser, page, "#problems", work / "profile")
    visible = sorted(cells(r)[0] for r in rows(dom, "modules") if shown(r))
    cases.check("scan: #problems hides the module that passes", visible == ["_speedups"], str(visible))


def make_site(index, work):
    """A site-packages directory with three distributions of prober-corpus modules, built
    for one GIL and one free-threaded interpreter; returns it and the interpreters."""
    chosen = []
    for free_threaded in (False, True):
        chosen += [i for i in index["interpreters"] if i["free_threaded"] == free_threaded][:1]
    site = work / "site"
    site.mkdir()
    distributions = {"good": ["probe_isolated"], "refuses": ["probe_singlephase_basic"],
                     "crashy<img src=x onerror=alert(1)>": ["probe_segfault"]}
    for number, (name, modules) in enumerate(distributions.items()):
        record = []
        for interpreter in chosen:
            for module in modules:
                built = pathlib.Path(interpreter["module_dir"]) / (module + interpreter["ext_suffix"])
                shutil.copy2(built, site / built.name)
                record.append(f"{built.name},,")
        write_distribution(site, f"dist{number}", name, record)
    # A package that imports in an isolated subinterpreter only without its accelerator
    # (PyYAML's case): corpus/prober/packages/probe_fallback, built for each interpreter.
    record = []
    for interpreter in chosen:
        package = pathlib.Path(interpreter["module_dir"]).parent / "packages" / interpreter["tag"] / "probe_fallback"
        shutil.copytree(package, site / "probe_fallback", dirs_exist_ok=True)
        record += [f"probe_fallback/{f.name},," for f in package.iterdir()]
    write_distribution(site, "fallback", "fallback", record)
    return site, chosen


def write_distribution(site, directory, name, record):
    info = site / f"{directory}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "RECORD").write_text("\n".join(record) + "\n")


def test_audit(cases, binary, browser, index, work):
    site, chosen = make_site(index, work)
    if len(chosen) < 2:
        print("SKIP audit: the prober corpus lacks a GIL or a free-threaded interpreter")
        return
    page, json_path = work / "audit.html", work / "audit.json"
    args = [binary, "audit", str(site), "--format", "json", "-o", str(json_path), "--output-html", str(page),
            "--no-stress", "--timeout", "20", "--quiet"]
    for interpreter in chosen:
        args += ["--python", interpreter["python"]]
    run = subprocess.run(args, capture_output=True, text=True, cwd=work, timeout=900)
    cases.check("audit: exit 1 (a distribution refuses subinterpreters, one crashes)", run.returncode == 1,
                run.stderr)
    report = json.loads(json_path.read_text())
    dom, chrome = rendered(browser, page, "", work / "profile")
    got = sorted((c[0], c[1], c[3], c[4], c[5]) for c in map(cells, rows(dom, "distributions")))
    want = sorted((d["distribution"], d["interpreter"], d["subinterpreters"], d["free_threading"],
                   d["interpreter_pool"]) for d in report["distributions"])
    cases.check("audit: one row per distribution and Python, the JSON's verdicts in the cells",
                got == want and len(want) == 8, f"{got}\n{want}\n{chrome.stderr[-2000:]}")
    summary = dom.by_id("summary")
    cases.check("audit: the headline first: 3 of 4 distributions would block InterpreterPoolExecutor",
                summary is not None and "3 of 4 distributions would block InterpreterPoolExecutor" in summary.text(),
                summary.text() if summary is not None else "no #summary")
    cases.check("audit: the package that falls back is named with its accelerator",
                summary is not None and "only by falling back, without their accelerator: probe_fallback "
                "(probe_fallback._accel)" in summary.text(), summary.text() if summary is not None else "")
    crash_rows = [r for r in rows(dom, "probed") if cells(r)[0] == "probe_segfault"]
    evidence = crash_rows[0].text() if crash_rows else ""
    cases.check("audit: the crash's evidence holds the probe outcome and the child's output",
                "crash" in evidence and "signal 11" in evidence and any(r.find_all("pre") for r in crash_rows),
                evidence[:3000])
    hostile = "crashy<img src=x onerror=alert(1)>"
    cases.check("audit: the hostile distribution name is text, and no element was injected",
                any(cells(r)[0] == hostile for r in rows(dom, "distributions")) and not list(dom.find_all("img")),
                str([cells(r)[0] for r in rows(dom, "distributions")]))


def test_self_contained(cases, browser, work):
    page = work / "audit.html" if (work / "audit.html").exists() else work / "scan.html"
    dom, _ = rendered(browser, page, "", work / "profile")
    policy = [m.attrs.get("content", "") for m in dom.find_all("meta")
              if m.attrs.get("http-equiv", "").lower() == "content-security-policy"]
    loaders = [n.tag for tag in ("img", "link", "iframe", "object", "embed") for n in dom.find_all(tag)]
    loaders += ["script src"] * sum(1 for s in dom.find_all("script") if "src" in s.attrs)
    cases.check("self-contained: a CSP forbidding fetches and no element that loads anything",
                policy and "default-src 'none'" in policy[0] and not loaders, f"{policy} {loaders}")
    shot = work / "report.png"
    subprocess.run(chromium_args(browser, work / "profile") +
                   ["--window-size=1280,900", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    data = shot.read_bytes() if shot.exists() else b""
    size = struct.unpack(">II", data[16:24]) if len(data) > 24 else None
    cases.check("screenshot: a 1280x900 PNG", data[:8] == b"\x89PNG\r\n\x1a\n" and size == (1280, 900),
                f"{len(data)} bytes, size {size}")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    browser = chromium()
    if browser is None:
        print("SKIP: no Chromium (Debian's chromium: bash -c 'source ci/lib.sh && install_debs')")
        return 77
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    index = json.loads(pathlib.Path(sys.argv[2]).read_text())
    cases = Cases()
    with tempfile.TemporaryDirectory(prefix="subcheck-html-") as temp:
        work = pathlib.Path(temp)
        test_scan(cases, binary, browser, work)
        test_audit(cases, binary, browser, index, work)
        test_self_contained(cases, browser, work)
    print(f"{cases.passed} passed, {cases.failed} failed")
    return 1 if cases.failed else 0


if __name__ == "__main__":
    sys.exit(main())
