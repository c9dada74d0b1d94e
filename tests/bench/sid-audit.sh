#!/usr/bin/env bash
# tests/bench/sid-audit.sh - audit a real environment: Debian sid's compiled python3-*
# packages, installed for CPython 3.14 and 3.15 in a sid root, probed by subcheck and
# checked against CPython itself (tests/bench/sid_audit.py). docs/sid-audit.md holds the
# results and explains every disagreement.
#
#   sudo tests/bench/sid-audit.sh [--jobs N] [--timeout S] [--out DIR]
#
# Needs root (ci/sid-root.sh: debootstrap, chroot, mounts) and network (apt-get). It
# installs packages into the root, so it uses a root of its own: SUBCHECK_CACHE defaults to
# ~/.cache/subcheck-audit, and the CI root (~/.cache/subcheck) is refused.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SID_ROOT=$REPO/ci/sid-root.sh
export SUBCHECK_CACHE=${SUBCHECK_CACHE:-$HOME/.cache/subcheck-audit}
JOBS=2
TIMEOUT=60
OUT=$PWD/sid-audit-out
PYTHONS=(python3.14 python3.15)

# A real application's compiled dependencies, as Debian names them: a web service with a
# database, RPC, crypto, images, data and the usual accelerators. Those sid does not have
# (or not for both 3.14 and 3.15) are listed by the audit and left out.
PACKAGES=(
  python3-numpy python3-yaml python3-markupsafe python3-lxml python3-psutil python3-msgpack
  python3-regex python3-zstandard python3-pil python3-cryptography python3-pydantic-core
  python3-grpcio python3-protobuf python3-brotli python3-multidict python3-yarl python3-frozenlist
  python3-aiohttp python3-propcache python3-setproctitle python3-wrapt python3-simplejson
  python3-ujson python3-orjson python3-charset-normalizer python3-cffi-backend python3-bcrypt
  python3-nacl python3-rpds-py python3-greenlet python3-uvloop python3-httptools python3-websockets
  python3-sqlalchemy python3-ruamel.yaml.clib python3-tornado python3-zmq python3-kiwisolver
  python3-lz4 python3-xxhash python3-mmh3 python3-bitarray python3-rapidfuzz python3-levenshtein
  python3-cbor2 python3-psycopg2 python3-argon2 python3-immutables python3-jiter
  python3-google-crc32c python3-crcmod python3-systemd python3-netifaces python3-msgspec
  python3-pycares python3-bottleneck python3-cytoolz python3-pyrsistent python3-ciso8601
  python3-gevent python3-pikepdf python3-ldap python3-dbus python3-apt python3-pycurl
)

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
        --jobs) JOBS=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
log() { printf '[sid-audit] %s\n' "$*" >&2; }
ci_cache=$(realpath -m "$HOME/.cache/subcheck")
if [[ $(realpath -m "$SUBCHECK_CACHE") == "$ci_cache" ]]; then
    log "SUBCHECK_CACHE is the CI cache ($ci_cache): this audit installs packages into its root; use another"
    exit 2
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
started=$SECONDS

log "the root ($SUBCHECK_CACHE)"
bash "$SID_ROOT" ensure >/dev/null

# Only the packages sid has (apt-cache policy: a candidate); the rest are named in the report.
log "installing ${#PACKAGES[@]} packages (those sid has)"
t0=$SECONDS
bash "$SID_ROOT" run --net -- apt-get -q update >"$OUT/apt.log" 2>&1
available=()
missing=()
while read -r package candidate; do
    if [[ -n $candidate && $candidate != "(none)" ]]; then available+=("$package"); else missing+=("$package"); fi
done < <(bash "$SID_ROOT" run -- bash -c 'for p; do
             printf "%s %s\n" "$p" "$(apt-cache policy "$p" 2>/dev/null | awk "/Candidate:/ {print \$2}")"
         done' - "${PACKAGES[@]}")
bash "$SID_ROOT" run --net -- apt-get -q -y install "${available[@]}" >>"$OUT/apt.log" 2>&1 \
    || { tail -n 30 "$OUT/apt.log" >&2; log "apt-get install failed"; exit 1; }
install_s=$((SECONDS - t0))
printf '%s\n' "${missing[@]}" >"$OUT/not-in-sid.txt"
log "installed ${#available[@]} in ${install_s}s; not in sid: ${missing[*]:-none}"

log "building subcheck in the root"
t0=$SECONDS
bash "$SID_ROOT" run -- nice -n 10 bash -c '
    set -e
    gcc=$(ls /usr/bin/g++-[0-9]* | sort -V | tail -n 1); llvm=$(ls -d /usr/lib/llvm-[0-9]* | sort -V | tail -n 1)
    cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$gcc" \
        -DCMAKE_C_COMPILER="${gcc/g++/gcc}" -DSUBCHECK_LLVM_ROOT="$llvm" >/dev/null
    cmake --build /build -j '"$JOBS"' --target cli >/dev/null' >&2
build_s=$((SECONDS - t0))

log "auditing"
t0=$SECONDS
python_args=()
for py in "${PYTHONS[@]}"; do python_args+=(--python "$py"); done
rc=0
bash "$SID_ROOT" run -- nice -n 5 python3 /src/tests/bench/sid_audit.py --subcheck /build/cli/subcheck \
    "${python_args[@]}" --jobs "$JOBS" --timeout "$TIMEOUT" --json /build/sid-audit.json \
    --markdown /build/sid-audit.md --workdir /build/sid-audit-reports || rc=$?
audit_s=$((SECONDS - t0))
bash "$SID_ROOT" run -- cat /build/sid-audit.md >"$OUT/sid-audit.md"
bash "$SID_ROOT" run -- cat /build/sid-audit.json >"$OUT/sid-audit.json"
for py in "${PYTHONS[@]}"; do
    tag=${py#python}
    bash "$SID_ROOT" run -- cat "/build/sid-audit-reports/subcheck-$tag.json" >"$OUT/subcheck-$tag.json" || true
done
{
    echo "install ${install_s}s (${#available[@]} packages asked for)"
    echo "build ${build_s}s"
    echo "audit ${audit_s}s"
    echo "whole $((SECONDS - started))s"
    echo "exit $rc"
} | tee "$OUT/timings.txt" >&2
log "report: $OUT/sid-audit.md"
exit "$rc"
