#!/usr/bin/env bash
# ci/fetch-debian-source.sh - fetch Debian trixie source (or binary) packages
# through a PRIVATE apt configuration and print where they were extracted.
#
# The machine's own apt state (/etc/apt, /var/lib/apt, /var/cache/apt,
# /var/lib/dpkg) is never read for configuration and never written: the script
# generates its own apt.conf (exported as APT_CONFIG, which apt reads *before*
# /etc/apt/apt.conf.d, and which redirects Dir::Etc::parts / Dir::Etc::main
# away from /etc) plus -o overrides for the lists, cache and source list.
#
# See ci/README.md ("Fetching Debian sources") or run with --help.
set -euo pipefail

PROG=${0##*/}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    cat <<EOF
Usage: $PROG [options] SRCPKG...
       $PROG [options] --binary BINPKG...
       $PROG --print-apt-config

Fetch Debian trixie packages with a private apt configuration and print, one
line per package on stdout, the directory they were extracted to (progress and
errors go to stderr). Work already done is skipped: if the extracted directory
for the current version exists, its path is printed straight away.

Source mode (default): 'apt-get source --download-only' each package (a source
or binary package name; binary names are mapped to their source), then extract
the upstream *.orig.tar.* (no Debian patches applied; orig-COMPONENT tarballs go
to <tree>/COMPONENT; native packages use their only tarball) into
  DEST/<srcpkg>_<debian-version>/        (the upstream tree itself)
Downloaded .dsc/.orig/.debian files are kept in DEST/_downloads/.

Binary mode (--binary): 'apt-get download' each binary package (trixie, host
architecture unless PKG:ARCH is given) and 'dpkg -x' it into
  DEST/<binpkg>_<version>_<arch>/

Options:
  --dest DIR        base directory for extracted trees
                    (default: \$SUBCHECK_CACHE/debian-src, or .../debian-bin
                    with --binary; SUBCHECK_CACHE defaults to ~/.cache/subcheck)
  --binary          treat the arguments as binary packages (see above)
  --update          force 'apt-get update' of the private lists first
  --keep-going      on a failing package, go on with the others (exit 1 at end)
  --print-apt-config
                    make sure the private lists exist, then print the path of
                    the private apt.conf, for use as:
                      APT_CONFIG=\$($PROG --print-apt-config) apt-cache showsrc X
  -h, --help        this help

Environment:
  SUBCHECK_CACHE              cache root (default: \$HOME/.cache/subcheck)
  SUBCHECK_APT_SOURCES        sources.list to use
                              (default: ci/apt/sources.list.trixie)
  SUBCHECK_APT_MAX_AGE_HOURS  refresh the private lists when older than this
                              (default: 24; if the refresh fails, the old
                              lists are used with a warning)
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# ---------------------------------------------------------------- arguments
mode=source
dest=
force_update=0
keep_going=0
print_conf=0
pkgs=()
while (($#)); do
    case $1 in
        --dest) (($# >= 2)) || die "--dest needs a directory"; dest=$2; shift 2 ;;
        --dest=*) dest=${1#--dest=}; shift ;;
        --binary) mode=binary; shift ;;
        --update) force_update=1; shift ;;
        --keep-going) keep_going=1; shift ;;
        --print-apt-config) print_conf=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; pkgs+=("$@"); break ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) pkgs+=("$1"); shift ;;
    esac
done
if ((!print_conf)) && ((${#pkgs[@]} == 0)); then
    usage >&2
    die "no package given"
fi

for tool in apt-get tar dpkg; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (this script needs a Debian/apt system)"
done

: "${HOME:?HOME is not set}"
CACHE_ROOT=${SUBCHECK_CACHE:-$HOME/.cache/subcheck}
SOURCES=${SUBCHECK_APT_SOURCES:-$SCRIPT_DIR/apt/sources.list.trixie}
MAX_AGE_H=${SUBCHECK_APT_MAX_AGE_HOURS:-24}
[[ -r $SOURCES ]] || die "sources list '$SOURCES' not readable"
[[ $MAX_AGE_H =~ ^[0-9]+$ ]] || die "SUBCHECK_APT_MAX_AGE_HOURS must be a whole number of hours"
if [[ -z $dest ]]; then
    if [[ $mode == binary ]]; then dest=$CACHE_ROOT/debian-bin; else dest=$CACHE_ROOT/debian-src; fi
fi

mkdir -p "$CACHE_ROOT" "$dest" || die "cannot create '$CACHE_ROOT' or '$dest'"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd -P)
dest=$(cd "$dest" && pwd -P)

# ----------------------------------------------------- private apt config
STATE=$CACHE_ROOT/apt/$(basename "$SOURCES")
case $STATE in *'"'*|*$'\n'*) die "cache path '$STATE' contains a quote or newline" ;; esac
mkdir -p "$STATE"/etc/{apt.conf.d,sources.list.d,preferences.d,trusted.gpg.d,auth.conf.d} \
         "$STATE"/lists/partial "$STATE"/cache/archives/partial "$STATE"/state "$STATE"/log
[[ -e $STATE/status ]] || : >"$STATE/status"

APT_CONF=$STATE/apt.conf
conf_new=$(mktemp "$APT_CONF.XXXXXX")
{
    echo "// Generated by ci/fetch-debian-source.sh - private apt configuration."
    echo "// Nothing under /etc/apt, /var/lib/apt, /var/cache/apt or /var/lib/dpkg is used."
    echo "Dir \"/\";"
    echo "Dir::Etc \"$STATE/etc/\";"
    echo "Dir::Etc::main \"/dev/null\";"
    echo "Dir::Etc::parts \"$STATE/etc/apt.conf.d/\";"
    echo "Dir::Etc::sourcelist \"$STATE/etc/sources.list\";"
    echo "Dir::Etc::sourceparts \"$STATE/etc/sources.list.d/\";"
    echo "Dir::Etc::preferences \"$STATE/etc/preferences\";"
    echo "Dir::Etc::preferencesparts \"$STATE/etc/preferences.d/\";"
    echo "Dir::Etc::trusted \"$STATE/etc/trusted.gpg\";"
    echo "Dir::Etc::trustedparts \"$STATE/etc/trusted.gpg.d/\";"
    echo "Dir::Etc::netrc \"$STATE/etc/auth.conf\";"
    echo "Dir::Etc::netrcparts \"$STATE/etc/auth.conf.d/\";"
    echo "Dir::State \"$STATE/state/\";"
    echo "Dir::State::lists \"$STATE/lists/\";"
    echo "Dir::State::status \"$STATE/status\";"
    echo "Dir::State::extended_states \"$STATE/state/extended_states\";"
    echo "Dir::Cache \"$STATE/cache/\";"
    echo "Dir::Cache::archives \"$STATE/cache/archives/\";"
    echo "Dir::Log \"$STATE/log/\";"
    echo "Acquire::Languages \"none\";"
    echo "Acquire::Retries \"3\";"
    # Downloads land under the (usually 0700) home directory, which the
    # unprivileged _apt sandbox user cannot enter; as root, download as root
    # instead of letting apt warn and fall back on its own.
    if ((EUID == 0)); then echo "APT::Sandbox::User \"root\";"; fi
} >"$conf_new"
chmod 644 "$conf_new"
mv -f "$conf_new" "$APT_CONF"
export APT_CONFIG=$APT_CONF
# The same paths again on the command line (belt and braces; APT_CONFIG
# alone already isolates everything).
APT_OPTS=(
    "-oDir::Etc::SourceList=$STATE/etc/sources.list"
    "-oDir::Etc::SourceParts=$STATE/etc/sources.list.d/"
    "-oDir::State::Lists=$STATE/lists/"
    "-oDir::State::status=$STATE/status"
    "-oDir::Cache=$STATE/cache/"
)
apt_private() { apt-get "${APT_OPTS[@]}" "$@"; }

# ----------------------------------------------------------- apt-get update
lists_present() {
    compgen -G "$STATE/lists/*_InRelease" >/dev/null || compgen -G "$STATE/lists/*_Release" >/dev/null
}

refresh_lists() {
    local reason=$1 out rc=0
    log "updating private apt lists for $(basename "$SOURCES") ($reason) in $STATE/lists"
    out=$(mktemp)
    cp -f "$SOURCES" "$STATE/etc/sources.list"
    (
        if command -v flock >/dev/null 2>&1; then
            flock -w 900 9 || { echo "E: timed out waiting for $STATE/update.lock" >"$out"; exit 1; }
        fi
        apt_private -q update >"$out" 2>&1
    ) 9>"$STATE/update.lock" || rc=$?
    sed 's/^/  apt: /' "$out" >&2
    # apt-get update exits 0 on some failed fetches; treat W:/E: about
    # signatures or missing indexes as a failure too.
    if ((rc == 0)) && grep -qE '^(E:|W: (Failed to fetch|GPG error|Some index files failed))' "$out"; then rc=1; fi
    if ((rc != 0)); then
        if grep -qE 'NO_PUBKEY|EXPKEYSIG|not signed|Missing key|GPG error|signature' "$out"; then
            log "the trixie Release file could not be verified with the keyring named in $SOURCES."
            log "hint: the keyring needs the trixie keys (debian-archive-keyring >= 2023.3+deb12u2 on bookworm:"
            log "      'apt-get update && apt-get install debian-archive-keyring' from bookworm itself)."
        fi
        rm -f "$out"
        return 1
    fi
    rm -f "$out"
    touch "$STATE/last-update"
}

ensure_lists() {
    local reason=
    if ((force_update)); then reason="--update"
    elif ! lists_present; then reason="no lists yet"
    elif ! cmp -s "$SOURCES" "$STATE/etc/sources.list"; then reason="sources list changed"
    elif [[ ! -e $STATE/last-update ]] || [[ -n $(find "$STATE/last-update" -mmin "+$((MAX_AGE_H * 60))" 2>/dev/null) ]]; then
        reason="lists older than ${MAX_AGE_H}h"
    fi
    [[ -z $reason ]] && return 0
    if ! refresh_lists "$reason"; then
        if lists_present && ((!force_update)) && cmp -s "$SOURCES" "$STATE/etc/sources.list"; then
            log "warning: apt-get update failed; going on with the existing (older) lists"
        else
            die "apt-get update with the private configuration failed (see apt output above)"
        fi
    fi
}

ensure_lists
if ((print_conf)); then
    printf '%s\n' "$APT_CONF"
    ((${#pkgs[@]} == 0)) && exit 0
fi

# ------------------------------------------------------------------ helpers
TMPDIRS=()
cleanup() { local d; for d in "${TMPDIRS[@]}"; do [[ -n $d ]] && rm -rf -- "$d"; done; return 0; }
trap cleanup EXIT

# Print the URI lines ("'URI' FILE SIZE HASH") apt would download.
print_uris() { apt_private -qq --print-uris "$@" 2>&1; }

# Move $1 to $2 atomically; if $2 appeared meanwhile (parallel run), keep it.
install_tree() {
    if ! mv -T -- "$1" "$2" 2>/dev/null; then
        [[ -d $2 ]] || die "cannot move extracted tree to '$2'"
        log "note: '$2' was created concurrently; keeping it"
    fi
}

# Extract tarball $1 into new directory $2, dropping a single top-level dir.
extract_stripped() {
    local tarball=$1 target=$2 scratch entries
    scratch=$(mktemp -d "$target.x.XXXXXX")
    tar -xf "$tarball" -C "$scratch" --no-same-owner \
        || { rm -rf -- "$scratch"; die "tar failed on '$tarball'"; }
    shopt -s nullglob dotglob
    entries=("$scratch"/*)
    shopt -u nullglob dotglob
    if ((${#entries[@]} == 1)) && [[ -d ${entries[0]} && ! -L ${entries[0]} ]]; then
        mv -T -- "${entries[0]}" "$target"
        rmdir -- "$scratch"
    else
        mv -T -- "$scratch" "$target"
    fi
}

# True if file $1 exists and matches apt hash string $2 ("SHA256:hex", ...).
hash_ok() {
    local file=$1 spec=$2 algo sum tool
    [[ -f $file ]] || return 1
    algo=${spec%%:*}; sum=${spec#*:}
    case $algo in
        SHA512) tool=sha512sum ;; SHA256) tool=sha256sum ;; SHA1) tool=sha1sum ;;
        MD5Sum|MD5) tool=md5sum ;; *) return 1 ;;
    esac
    [[ $($tool <"$file" | cut -d' ' -f1) == "$sum" ]]
}

fetch_source() {
    local pkg=$1 uris dsc base src ver final dl tmp tree f comp main="" i u file _size hash
    local -a up_uri=() up_file=() up_hash=() comps=()
    uris=$(print_uris source "$pkg") || {
        printf '%s\n' "$uris" | sed 's/^/  apt: /' >&2
        log "error: no source package for '$pkg' in $(basename "$SOURCES") (check with: APT_CONFIG=$APT_CONF apt-cache showsrc $pkg)"
        return 1
    }
    dsc=$(printf '%s\n' "$uris" | awk '$2 ~ /\.dsc$/ {print $2; exit}')
    if [[ -z $dsc ]]; then
        printf '%s\n' "$uris" | sed 's/^/  apt: /' >&2
        log "error: could not resolve a source package for '$pkg'"
        return 1
    fi
    base=${dsc%.dsc}; src=${base%%_*}; ver=${base#*_}
    final=$dest/$base
    if [[ -d $final ]]; then
        log "$pkg: $src $ver already extracted"
        printf '%s\n' "$final"
        return 0
    fi
    [[ $src == "$pkg" ]] || log "$pkg: source package is '$src'"

    # The upstream tarballs among the package's files: the orig tarball and
    # its orig-COMPONENT tarballs, or for a native package its only tarball.
    while read -r u file _size hash; do
        [[ $u == \'*\' ]] || continue
        case $file in
            *.asc|*.sig|*.debian.tar.*|*.diff.*|*.dsc) continue ;;
            "${src}"_*.orig.tar.*|"${src}"_*.orig-*.tar.*|"${base}".tar.*) ;;
            *) continue ;;
        esac
        up_uri+=("${u//\'/}"); up_file+=("$file"); up_hash+=("$hash")
    done <<<"$uris"
    ((${#up_file[@]})) || { log "error: no upstream (*.orig.tar.*) or native tarball listed for $base"; return 1; }

    dl=$dest/_downloads/$base
    mkdir -p "$dl"
    log "$pkg: downloading source $src $ver into $dl"
    if ! (cd "$dl" && apt_private -q source --download-only "$pkg" >&2); then
        # Some mirrors (e.g. partial caches) lack the .dsc or .debian.tar.*
        # while still carrying the upstream tarball, which is all we need.
        log "$pkg: 'apt-get source' could not fetch every file; fetching only the upstream tarball(s)"
        for i in "${!up_file[@]}"; do
            hash_ok "$dl/${up_file[i]}" "${up_hash[i]}" && continue
            rm -f -- "$dl/${up_file[i]}"
            if ! /usr/lib/apt/apt-helper download-file "${up_uri[i]}" "$dl/${up_file[i]}" "${up_hash[i]}" >&2; then
                rm -f -- "$dl/${up_file[i]}" "$dl/${up_file[i]}.FAILED"
                rmdir -- "$dl" 2>/dev/null || true
                log "error: upstream tarball ${up_file[i]} of $src $ver cannot be downloaded (see apt output above; a 404 means the mirror lacks it; stale lists? try --update)"
                return 1
            fi
        done
    fi
    for i in "${!up_file[@]}"; do
        hash_ok "$dl/${up_file[i]}" "${up_hash[i]}" \
            || { log "error: '$dl/${up_file[i]}' is missing or does not match ${up_hash[i]%%:*} from the signed index"; return 1; }
        case ${up_file[i]} in
            *.orig-*.tar.*) comps+=("$dl/${up_file[i]}") ;;
            *) main=$dl/${up_file[i]} ;;
        esac
    done
    [[ -n $main ]] || { log "error: only orig-COMPONENT tarballs found for $base"; return 1; }
    [[ $main == *.orig.tar.* ]] || log "$pkg: native package (no orig tarball); extracting $(basename "$main")"

    tmp=$(mktemp -d "$dest/.tmp.$base.XXXXXX"); TMPDIRS+=("$tmp")
    tree=$tmp/tree
    log "$pkg: extracting $(basename "$main")"
    extract_stripped "$main" "$tree"
    for f in "${comps[@]}"; do
        comp=${f##*.orig-}; comp=${comp%%.tar.*}
        log "$pkg: extracting component '$comp' from $(basename "$f")"
        rm -rf -- "${tree:?}/$comp"
        extract_stripped "$f" "$tree/$comp"
    done
    install_tree "$tree" "$final"
    rm -rf -- "$tmp"
    printf '%s\n' "$final"
}

fetch_binary() {
    local pkg=$1 uris deb name final dl tmp
    uris=$(print_uris download "$pkg") || {
        printf '%s\n' "$uris" | sed 's/^/  apt: /' >&2
        log "error: no binary package '$pkg' in $(basename "$SOURCES") (check with: APT_CONFIG=$APT_CONF apt-cache policy $pkg)"
        return 1
    }
    deb=$(printf '%s\n' "$uris" | awk '$2 ~ /\.deb$/ {print $2; exit}')
    if [[ -z $deb ]]; then
        printf '%s\n' "$uris" | sed 's/^/  apt: /' >&2
        log "error: could not resolve binary package '$pkg'"
        return 1
    fi
    # NAME_[EPOCH%3a]VERSION_ARCH.deb -> NAME_VERSION_ARCH (epoch dropped)
    name=$(printf '%s\n' "${deb%.deb}" | sed -E 's/_[0-9]+%3a/_/')
    final=$dest/$name
    if [[ -d $final ]]; then
        log "$pkg: $name already extracted"
        printf '%s\n' "$final"
        return 0
    fi
    dl=$dest/_downloads
    mkdir -p "$dl"
    log "$pkg: downloading $deb into $dl"
    if ! (cd "$dl" && apt_private -q download "$pkg" >&2); then
        log "error: apt-get download $pkg failed (stale lists? try --update)"
        return 1
    fi
    [[ -f $dl/$deb ]] || { log "error: expected '$dl/$deb' after download"; return 1; }
    tmp=$(mktemp -d "$dest/.tmp.$name.XXXXXX"); TMPDIRS+=("$tmp")
    log "$pkg: dpkg -x $deb"
    dpkg -x "$dl/$deb" "$tmp/root" || { log "error: dpkg -x failed on '$dl/$deb'"; return 1; }
    install_tree "$tmp/root" "$final"
    rm -rf -- "$tmp"
    printf '%s\n' "$final"
}

# --------------------------------------------------------------------- main
failed=()
for pkg in "${pkgs[@]}"; do
    start=$SECONDS
    # Each package runs in a subshell with errexit really in force (it would
    # be ignored in an 'if'/'&&' context), so one failure can be survived.
    set +e
    (
        set -e
        trap cleanup EXIT
        if [[ $mode == binary ]]; then fetch_binary "$pkg"; else fetch_source "$pkg"; fi
    )
    rc=$?
    set -e
    if ((rc == 0)); then
        log "$pkg: done in $((SECONDS - start))s"
    else
        failed+=("$pkg")
        ((keep_going)) || die "failed on '$pkg'"
    fi
done
if ((${#failed[@]})); then
    die "failed: ${failed[*]}"
fi
