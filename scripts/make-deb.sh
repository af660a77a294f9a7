#!/bin/sh
# `make deb`: builds tiendo_VERSION_ARCH.deb into DIR (default: the repository) and checks it with lintian.
# debian/changelog is written here, from git, for debhelper (the package's version and its date).
set -eu
cd "$(dirname "$0")/.."
dir=$(realpath "${1:-.}")
version=$(scripts/version.sh)
arch=$(dpkg --print-architecture)
deb="$dir/tiendo_${version}_${arch}.deb"
maintainer=$(sed -n 's/^Maintainer: //p' debian/control)

case "$version" in
    *+dirty) echo "Chú ý: cây mã có thay đổi chưa commit; gói mang phiên bản $version" ;;
esac
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
    commit=$(git rev-parse HEAD)
    date=$(git log -1 --format=%cD HEAD)
else
    commit="(not a git checkout)"
    date=$(date -R)
fi
# Version, commit and the commit's date: the same tree gives the same changelog (and SOURCE_DATE_EPOCH).
cat >debian/changelog <<EOT
tiendo ($version) bookworm; urgency=medium

  * Built from git commit $commit.
    The history of changes is the git log of the tiendo repository.

 -- $maintainer  $date
EOT

debian/rules binary DEBDIR="$dir"
# Errors and warnings fail the build; informational tags are shown. Overrides: debian/tiendo.lintian-overrides.
lintian --fail-on error,warning --display-info "$deb"
echo "Gói: $deb"
