#!/bin/sh
# Prints tiendo's version, the one string shown by every program's --version, by GetStatus and by the Debian
# package (README, "Versions"):
#   - $TIENDO_VERSION when set and not empty (a build that must look newer without a commit: tests/deb/run.sh);
#   - HEAD tagged vX.Y.Z: X.Y.Z, a '-' becoming '~' so that v1.0-rc1 sorts before 1.0 for dpkg;
#   - HEAD N commits after the latest such tag: X.Y.Z+N.g<short hash>;
#   - no such tag: 0.YYYYMMDD+g<short hash>, the date of the commit (committer date, UTC);
#   - then "+dirty" when the work tree differs from HEAD: a tracked file changed, or a file git would list as
#     untracked (SwiftPM compiles every file under Sources/, committed or not);
#   - outside a git checkout (a tarball): 0+unknown.
# With `--swift FILE` it writes a Swift source defining `TiendoVersion.string` instead of printing, and only when
# its content changes: the build runs this before every build (Plugins/TiendoVersionPlugin), and an unchanged file
# means nothing is recompiled or relinked.
set -eu
PATH=${PATH:-/usr/bin:/bin}
cd "$(dirname "$0")/.."

compute() {
    if [ -n "${TIENDO_VERSION:-}" ]; then
        printf '%s\n' "$TIENDO_VERSION"
        return
    fi
    if ! git rev-parse --verify -q HEAD >/dev/null 2>&1; then
        echo "0+unknown"
        return
    fi
    hash=$(git rev-parse --short=7 HEAD)
    if described=$(git describe --tags --long --match 'v[0-9]*' HEAD 2>/dev/null); then
        # vX.Y.Z-N-gHASH; the tag itself may contain '-' (v1.0-rc1-3-gabc1234).
        count=${described%-g*}
        tag=${count%-*}
        count=${count##*-}
        base=$(printf '%s' "${tag#v}" | tr '-' '~')
        if [ "$count" = 0 ]; then version=$base; else version="$base+$count.g$hash"; fi
    else
        day=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d HEAD)
        version="0.$day+g$hash"
    fi
    # No optional locks: this runs before every build, maybe while git itself is at work in the same tree.
    if [ -n "$(GIT_OPTIONAL_LOCKS=0 git status --porcelain 2>/dev/null | head -1)" ]; then version="$version+dirty"; fi
    printf '%s\n' "$version"
}

version=$(compute)
case "$version" in
    [0-9]*) ;;
    *) echo "scripts/version.sh: '$version' is not a Debian version (it must start with a digit)" >&2; exit 1 ;;
esac

if [ "${1:-}" = "--swift" ]; then
    out=$2
    new=$(
        cat <<EOF
// Generated before every build by scripts/version.sh (Plugins/TiendoVersionPlugin); not in git.

/// The version of tiendo's programs and formats, from git (README, "Versions").
public enum TiendoVersion {
    /// \`--version\` of every program and \`version\` in GetStatus: \`$version\`.
    public static var string: String { "$version" }
}
EOF
    )
    if [ ! -f "$out" ] || [ "$(cat "$out")" != "$new" ]; then
        mkdir -p "$(dirname "$out")"
        printf '%s\n' "$new" >"$out.tmp"
        mv "$out.tmp" "$out"
    fi
else
    printf '%s\n' "$version"
fi
