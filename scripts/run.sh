#!/usr/bin/env bash
# `make run`: tiendod on the shipped workflows and tiendo-web beside it, state in $STATE (./.tiendo). Arguments go
# to tiendod (make run RUN_ARGS="--fake-time 2025-11-01T08:00 --time-rate 86400"). The first run creates the
# account `admin` (quan-tri) with a random password and prints it once. Ctrl-C (or either program ending) stops
# both, by their process ids.
set -euo pipefail
# The database holds personal data (names, CCCD numbers): not readable by other local users, as the unit's UMask=.
umask 027
cd "$(dirname "$0")/.."
STATE=${STATE:-$PWD/.tiendo}
WEB_LISTEN=${WEB_LISTEN:-127.0.0.1:8080}
BIN=${BIN:-.build/debug}
SOCK="$STATE/vn.tiendo.Manager"
mkdir -p "$STATE"

DAEMON=""
WEB=""
stop() {
    trap - INT TERM EXIT
    for pid in $WEB $DAEMON; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $WEB $DAEMON; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "tiendod: trạng thái $STATE/state/tiendo.sqlite, tệp trạng thái $STATE/status/, socket $SOCK"
"$BIN/tiendod" --workflows Workflows --state-dir "$STATE/state" --runtime-dir "$STATE/status" --socket "$SOCK" "$@" &
DAEMON=$!
for _ in $(seq 1 600); do
    "$BIN/tiendoctl" --socket "$SOCK" --timeout 2 status >/dev/null 2>&1 && break
    kill -0 "$DAEMON" 2>/dev/null || { echo "tiendod đã dừng khi khởi động" >&2; exit 1; }
    sleep 0.1
done

if [ ! -s "$STATE/web/accounts.json" ]; then
    echo "Lần chạy đầu: tạo tài khoản quản trị cho trang web (mật khẩu chỉ in một lần, hãy ghi lại):"
    "$BIN/tiendo-web" user add admin --role quan-tri --generate-password --state-dir "$STATE/web"
fi
"$BIN/tiendo-web" serve --socket "$SOCK" --listen "$WEB_LISTEN" --state-dir "$STATE/web" &
WEB=$!
echo "tiendo-web: http://$WEB_LISTEN/ (tài khoản admin; thêm tài khoản: $BIN/tiendo-web user add TÊN --role can-bo --group 'Chi bộ …' --password-stdin --state-dir $STATE/web)"
echo "Thử:  TIENDO_SOCKET=$SOCK $BIN/tiendoctl status   (Ctrl-C để dừng cả hai)"
# Whichever ends first, the other is stopped (by the EXIT trap).
wait -n "$DAEMON" "$WEB"
