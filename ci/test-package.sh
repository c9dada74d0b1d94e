#!/usr/bin/env bash
# Installs subcheck's Debian package into a clean Debian 12 (bookworm) root with
# `apt-get install ./subcheck_*.deb`, so apt has to resolve every declared dependency, then
# checks the installed files and scans the bundled example there: the report must match the
# expectations written in corpus/example_project (ci/check-expectations.py) and exit 1.
#   bash ci/test-package.sh [DEB]          # DEB: default, ci/package.sh builds one
#   bash ci/test-package.sh --ensure-root  # only make the cached bookworm root
# Needs root (debootstrap, chroot, mounts). Prints "N passed, N failed" last.
#
# The root is `debootstrap --variant=minbase bookworm`, built once into
# $SUBCHECK_CACHE/bookworm-root/root-<key>/ and never changed after: every run installs into
# a throwaway overlay of it. Downloaded packages are kept in .../archives, so a warm run
# needs no network. Bookworm packages no CPython >= 3.12, which subcheck needs headers of,
# so ci/build-cpython.sh's 3.13 (built on bookworm) is bound read-only into the root at its
# own path, as a user would bring their own interpreter (docs/install.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RECIPE_ID=1   # bump when the way the base root is built changes
SUITE=bookworm
MIRROR="${SUBCHECK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
die() { log "test-package: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
for tool in unshare chroot mount flock sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found"
done

started=$SECONDS
deb="" root_only=0
case "${1:-}" in
  --ensure-root) root_only=1 ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  ?*) deb="$1" ;;
esac

# The newest stamped default-build CPython 3.12+ of ci/build-cpython.sh.
python_prefix=""
for stamp in "$SUBCHECK_CACHE"/cpython/3.*/subcheck-build.stamp; do
  prefix="$(dirname "$stamp")"
  case "$(basename "$prefix")" in *t) continue ;; esac
  [ -x "$prefix/bin/python3" ] && python_prefix="$prefix"
done
[ -n "$python_prefix" ] || die "no CPython build in $SUBCHECK_CACHE/cpython: run ci/build-cpython.sh"
python_prefix="$(cd "$python_prefix" && pwd -P)"

CACHE_DIR="$SUBCHECK_CACHE/bookworm-root"
mkdir -p "$CACHE_DIR/archives/partial"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd -P)"
KEY="$(printf 'recipe %s\nsuite %s\nmirror %s\n' "$RECIPE_ID" "$SUITE" "$MIRROR" | sha256sum | cut -c1-12)"
BASE="$CACHE_DIR/root-$KEY"
STAMP="$BASE/subcheck-root.stamp"

WORK=""
cleanup() {
  # root_run's mounts live in namespaces that are gone by now; nothing is mounted here.
  [ -z "$WORK" ] || rm -rf --one-file-system -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Exclusive while building the base, shared while an overlay of it is in use.
exec 9>"$CACHE_DIR/.lock"
flock -w 3600 9 || die "timed out waiting for $CACHE_DIR/.lock"
if [ ! -f "$STAMP" ]; then
  WORK="$(mktemp -d "$CACHE_DIR/.tmp-root.XXXXXX")"
  rmdir -- "$WORK"
  debootstrap_root "$SUITE" "$WORK" "$MIRROR" || die "could not make the $SUITE root"
  root_run "$WORK" --net -- apt-get -q update >"$WORK.apt.log" 2>&1 \
    || { sed 's/^/  | /' "$WORK.apt.log" >&2; rm -f -- "$WORK.apt.log"; die "apt-get update in the root failed"; }
  rm -f -- "$WORK.apt.log"
  printf 'recipe %s\nsuite %s\nmirror %s\nbuilt %s\n' "$RECIPE_ID" "$SUITE" "$MIRROR" "$(date -u +%FT%TZ)" >"$WORK/subcheck-root.stamp"
  rm -rf --one-file-system -- "$BASE"
  mv -T -- "$WORK" "$BASE"
  WORK=""
  for old in "$CACHE_DIR"/root-*; do
    [ "$old" = "$BASE" ] || rm -rf --one-file-system -- "$old"
  done
  log "base root built in $((SECONDS - started))s: $BASE ($(du -sh "$BASE" | cut -f1))"
fi
flock -s 9
rootmade=$SECONDS
if [ "$root_only" -eq 1 ]; then
  log "base root ready: $BASE"
  exit 0
fi

if [ -z "$deb" ]; then
  deb="$(bash "$REPO_ROOT/ci/package.sh")"
fi
[ -f "$deb" ] || die "no package at '$deb'"
deb="$(cd "$(dirname "$deb")" && pwd -P)/$(basename "$deb")"
packaged=$SECONDS

WORK="$(mktemp -d "$CACHE_DIR/.run.XXXXXX")"
mkdir -p "$WORK/merged" "$WORK/out"
in_overlay() { root_run "$WORK/merged" --overlay "$BASE" "$WORK" "$@"; }

# 1. apt-get install ./subcheck_*.deb: the lists may be older than the mirror, so a failed
# install is tried once more after apt-get update. One install at a time uses the archives.
log "installing $(basename "$deb") into an overlay of $BASE"
deb_in_root="/mnt/deb/$(basename "$deb")"
if ! (flock 8 && in_overlay --net --ro-bind "$deb" "$deb_in_root" --bind "$CACHE_DIR/archives" /var/cache/apt/archives -- \
    bash -c "apt-get install -y -q '$deb_in_root' || { apt-get -q update && apt-get install -y -q '$deb_in_root'; }" \
    >"$WORK/out/apt.log" 2>&1) 8>"$CACHE_DIR/.archives.lock"; then
  tail -n 40 "$WORK/out/apt.log" | sed 's/^/  | /' >&2
  die "apt-get install of the package failed in the clean root"
fi
installed=$SECONDS

# 2. What the package put there, and a scan of the example, inside the root without network.
inside='
set -u
check() {  # NAME COMMAND...: one test case
  if out="$("${@:2}" 2>&1)"; then echo "PASS $1"; else echo "FAIL $1"; printf "%s\n" "$out" | tail -n 20 | sed "s/^/  | /"; fi
}
check "subcheck is /usr/bin/subcheck" test "$(command -v subcheck)" = /usr/bin/subcheck
check "subcheck --version runs" subcheck --version
rule_ids_match() {  # the TOMLs in share/subcheck/rules are the catalogue compiled in
  diff <(ls /usr/share/subcheck/rules | cut -d- -f1 | sort) \
       <(subcheck rules --format json | "$PY" -c "import json, sys; [print(r[\"id\"]) for r in json.load(sys.stdin)]" | sort)
}
check "installed rule TOMLs = embedded catalogue" rule_ids_match
check "docs installed" test -f /usr/share/doc/subcheck/README.md -a -f /usr/share/doc/subcheck/cli.md -a -f /usr/share/doc/subcheck/install.md
check "example installed" test -f /usr/share/doc/subcheck/examples/example_project/src/fastcache/_speedups.c
check "man page installed" bash -c "zcat /usr/share/man/man1/subcheck.1.gz | grep -q \"^\\.TH SUBCHECK\""
check "explain SI001" bash -c "subcheck explain SI001 | grep -q single-phase"
cp -r /mnt/example /root/example_project
cd /root/example_project   # as a user runs it: from the project, `scan .`
subcheck scan . --python "$PY" --format json -o /mnt/out/scan.json 2>/mnt/out/scan.stderr
echo $? >/mnt/out/scan.rc
subcheck scan . --python "$PY" --no-color >/mnt/out/scan.txt 2>&1
echo $? >/mnt/out/text.rc
check "scan --format json exits 1 (findings)" test "$(cat /mnt/out/scan.rc)" = 1
check "scan (text) exits 1 (findings)" test "$(cat /mnt/out/text.rc)" = 1
check "text report names SI001 on _speedups.c" grep -q "_speedups.c:.*SI001" /mnt/out/scan.txt
check "report = the example'"'"'s expectations" "$PY" /mnt/check-expectations.py /mnt/out/scan.json /root/example_project
# The same scan from another working directory must give the same answer: libclang
# resolves a relative resource directory against it (docs/install.md).
cd /
subcheck scan /root/example_project --python "$PY" --format json -o /mnt/out/scan-from-root.json 2>/dev/null
echo $? >/mnt/out/scan-from-root.rc
check "from cwd /: exit 1 and the example'"'"'s expectations" bash -c \
  "test \"\$(cat /mnt/out/scan-from-root.rc)\" = 1 && \"\$PY\" /mnt/check-expectations.py /mnt/out/scan-from-root.json /root/example_project"
'
log "checking the installed package and scanning corpus/example_project in the root"
in_overlay --ro-bind "$REPO_ROOT/corpus/example_project" /mnt/example \
  --ro-bind "$REPO_ROOT/ci/check-expectations.py" /mnt/check-expectations.py \
  --ro-bind "$python_prefix" "$python_prefix" --bind "$WORK/out" /mnt/out \
  --env "PY=$python_prefix/bin/python3" -- bash -c "$inside" | tee "$WORK/out/results.txt" >&2 || true

passed="$(grep -c '^PASS ' "$WORK/out/results.txt" || true)"
failed="$(grep -c '^FAIL ' "$WORK/out/results.txt" || true)"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  log "scan output in the root:"
  sed 's/^/  | /' "$WORK/out/scan.txt" >&2 2>/dev/null || true
fi
log "times: root $((rootmade - started))s, package $((packaged - rootmade))s, install $((installed - packaged))s, checks $((SECONDS - installed))s, total $((SECONDS - started))s"
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
