#!/bin/sh
# make bench / make bench-quick: installs what the benchmark needs, builds tiendod and the driver in release mode,
# runs every scenario, and (full mode) draws the plots of docs/performance.md.
#   bench/run.sh full   N = 10^4, 10^5, 3·10^5, 10^6 (every scenario) and 10^7 (import and the running daemon); 50–85
#                       minutes on 2 cores; writes bench/results.json, docs/perf-*.svg and
#                       the results block of docs/performance.md
#   bench/run.sh quick  small N, under a minute, for CI: exits non-zero if a scenario fails; bench/out/results-quick.json
# Extra arguments go to the driver (see `.build-bench/release/tiendo-bench --help`).
set -eu
MODE=${1:-full}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}

# Debian packages: Remind (the side-by-side baseline), SQLite's headers (the C ceiling, the driver's polling),
# sqlite3 and strace (inspection).
missing=""
for p in remind libsqlite3-dev sqlite3 strace; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
	echo "bench: installing$missing"
	if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# The Python baseline (transitions) and the plots (matplotlib), in their own venv.
if [ ! -f .venv-bench/.ready ]; then
	python3 -m venv .venv-bench
	.venv-bench/bin/pip install -q --disable-pip-version-check transitions==0.9.3 matplotlib==3.11.2
	touch .venv-bench/.ready
fi

# aiosmtpd: the SMTP server the delivery scenario sends to (tools/delivery_sink.py).
if [ ! -f .venv-bench/.ready-delivery ]; then
	.venv-bench/bin/pip install -q --disable-pip-version-check aiosmtpd==1.4.6
	touch .venv-bench/.ready-delivery
fi

$SWIFT build -c release --product tiendod
$SWIFT build -c release --product tiendo-deliver
$SWIFT build -c release --product tiendo-web
# SwiftPM keeps the build plan of a path dependency (the root package seen from bench/) and does not notice a source
# file added to one of its targets: the stale plan then fails with «cannot find 'X' in scope». Planning again is a
# second; the object files stay.
rm -f .build-bench/release/description.json
$SWIFT build -c release --package-path bench --scratch-path .build-bench
cc -O2 -Wall -o .build-bench/sqlite-ceiling bench/tools/sqlite-ceiling.c -lsqlite3
# Measure a copy: a build started by someone else during the run cannot swap the binary under it.
cp .build/release/tiendod .build-bench/tiendod-under-test
cp .build/release/tiendo-web .build-bench/tiendo-web-under-test
cp .build/release/tiendo-deliver .build-bench/tiendo-deliver-under-test

ARGS="--tiendod .build-bench/tiendod-under-test --deliver .build-bench/tiendo-deliver-under-test --tiendo-web .build-bench/tiendo-web-under-test --workflows Workflows --ceiling .build-bench/sqlite-ceiling --python .venv-bench/bin/python --tools bench/tools"
case "$MODE" in
quick)
	# shellcheck disable=SC2086
	exec .build-bench/release/tiendo-bench --quick $ARGS "$@"
	;;
full)
	status=0
	# shellcheck disable=SC2086
	.build-bench/release/tiendo-bench $ARGS --out bench/results.json "$@" || status=$?
	if [ -f bench/results.json ]; then
		.venv-bench/bin/python bench/tools/plot.py bench/results.json docs
		.venv-bench/bin/python bench/tools/report.py bench/results.json --update docs/performance.md
	fi
	exit $status
	;;
*)
	echo "usage: bench/run.sh full|quick [driver arguments]" >&2
	exit 2
	;;
esac
