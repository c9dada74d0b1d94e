#!/usr/bin/env bash
# tests/bench/real-code-scan.sh - run `subcheck scan` on real extension sources, as in
# docs/real-code.md: CPython 3.13's Modules/ (with the database of cpython-modules-db.sh)
# and third-party Debian trixie source packages (with inferred flags). For each it writes
# OUT/NAME.json and OUT/NAME.txt and prints one summary line.
#
# Usage: tests/bench/real-code-scan.sh [--subcheck PATH] [--python PY] [--out DIR] [PROJECT...]
# PROJECT is `cpython`, `pyyaml-cython` (pyyaml's _yaml.pyx turned into C by trixie's Cython
# 3.0.11, as its setup.py does) or a Debian source package name (default: cpython, every
# package in DEFAULT_PACKAGES and pyyaml-cython). Sources come from
# ci/fetch-debian-source.sh (cached); contourpy is scanned with trixie's pybind11-dev headers.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DEFAULT_PACKAGES=(markupsafe pyrsistent python-crcmod netifaces python-xxhash brotli
                  python-multidict python-sysv-ipc python-pylibacl python-hiredis
                  psycopg2 dbus-python contourpy python-ldap python-pyxattr python-pyaudio
                  python-systemd)

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

CACHE_ROOT=${SUBCHECK_CACHE:-$HOME/.cache/subcheck}
subcheck=${SUBCHECK:-$(bash "$(dirname "${BASH_SOURCE[0]}")/../../ci/subcheck-binary.sh")}
python=${SUBCHECK_PYTHON:-/root/.pyenv/versions/3.13.0/bin/python3}
out=real-code-out
projects=()
while (($#)); do
    case $1 in
        --subcheck) subcheck=$2; shift 2 ;;
        --python) python=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        -*) die "unknown option '$1'" ;;
        *) projects+=("$1"); shift ;;
    esac
done
((${#projects[@]})) || projects=(cpython "${DEFAULT_PACKAGES[@]}" pyyaml-cython)
[[ -x $subcheck ]] || die "subcheck binary '$subcheck' not found (use --subcheck or SUBCHECK)"
mkdir -p "$out"

summary() {  # $1: json report
    "${PYTHON:-python3}" - "$1" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(f"units {s['units_parsed']}/{s['units_total']}, diagnostics {s['diagnostics']}, "
      f"modules {s['modules']}, findings {s['findings']} "
      f"({s['errors']} errors, {s['warnings']} warnings, {s['notes']} notes)")
EOF
}

scan() {  # $1: name, then the scan arguments
    local name=$1; shift
    "$subcheck" scan "$@" --format json -o "$out/$name.json" -q --fail-on never
    "$subcheck" scan "$@" --format text --no-color -o "$out/$name.txt" -q --fail-on never
    echo "$name: $(summary "$out/$name.json")"
}

for project in "${projects[@]}"; do
    if [[ $project == cpython ]]; then
        db_output=$("$HERE/cpython-modules-db.sh") || die "cpython-modules-db.sh failed"
        src=$(sed -n 's/^SRC=//p' <<<"$db_output")
        db=$(sed -n 's/^DB=//p' <<<"$db_output")
        scan cpython "$src/Modules" -p "$db" -j 2
    elif [[ $project == pyyaml-cython ]]; then
        tree=$("$REPO/ci/fetch-debian-source.sh" pyyaml 2>/dev/null | tail -n 1)
        cython=$("$REPO/ci/fetch-debian-source.sh" --binary cython3 2>/dev/null | tail -n 1)
        [[ -d $tree && -d $cython ]] || die "no pyyaml source or cython3 package"
        rm -rf "$out/src/pyyaml-cython" && mkdir -p "$out/src" && cp -a "$tree" "$out/src/pyyaml-cython"
        (cd "$out/src/pyyaml-cython" && PYTHONPATH=$cython/usr/lib/python3/dist-packages "${PYTHON:-python3}" \
            -c 'import sys; from Cython.Compiler.Main import main; sys.argv = ["cython", "-3", "yaml/_yaml.pyx"]; main(command_line=1)')
        scan "$project" "$out/src/pyyaml-cython" --python "$python" -j 2
    else
        tree=$("$REPO/ci/fetch-debian-source.sh" "$project" 2>/dev/null | tail -n 1)
        [[ -d $tree ]] || die "no source tree for $project"
        extra=()
        if [[ $project == contourpy ]]; then
            pybind11=$("$REPO/ci/fetch-debian-source.sh" --binary pybind11-dev 2>/dev/null | tail -n 1)
            extra=(--extra-arg="-I$pybind11/usr/include")
        fi
        scan "$project" "$tree" --python "$python" -j 2 "${extra[@]}"
    fi
done
