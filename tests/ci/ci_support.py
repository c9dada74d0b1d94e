"""What the CI test scripts under tests/ci/ share: a pass/fail tally and the prober
corpus's built modules (corpus/prober/CMakeLists.txt writes their index)."""
import pathlib
import shutil

# Modules of the prober corpus the report-format tests probe: one crashes, one refuses
# isolated subinterpreters, one loads everywhere.
PROBED = ["probe_segfault", "probe_singlephase_basic", "probe_isolated"]


class Cases:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}\n{detail}")


def probe_directory(index, work):
    """Copies the PROBED modules of one GIL and one free-threaded interpreter into
    WORK/probed; returns that directory and the interpreters chosen."""
    chosen = []
    for free_threaded in (False, True):
        for interpreter in index["interpreters"]:
            if interpreter["free_threaded"] == free_threaded:
                chosen.append(interpreter)
                break
    target = work / "probed"
    target.mkdir()
    for interpreter in chosen:
        for module in PROBED:
            built = pathlib.Path(interpreter["module_dir"]) / (module + interpreter["ext_suffix"])
            if built.is_file():
                shutil.copy2(built, target / built.name)
    return target, chosen
