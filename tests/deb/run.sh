#!/usr/bin/env bash
# `make test-deb`: the Debian package as an administrator meets it, in a clean Debian 12 root made by debootstrap
# from the mirror apt uses here. Builds two packages (this version, then a newer one: an incremental rebuild), then
# in the root: install (dependencies resolved by apt), the programs, a daemon started by hand on a fake clock,
# upgrade with its state kept, remove, purge. Needs root. The bootstrapped root is cached in $TIENDO_CI_CACHE
# (default /var/cache/tiendo-ci), keyed by mirror and suite; without a cache it is made from the mirror.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
SOURCES=${TIENDO_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
CACHE_DIR=${TIENDO_CI_CACHE:-/var/cache/tiendo-ci}
CACHE_MAX_DAYS=14
SUITE=bookworm

say() { printf '\n== %s\n' "$*"; }
die() { printf 'test-deb: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "cần quyền root (debootstrap, chroot)"
[ -r "$SOURCES" ] || die "không đọc được $SOURCES (nguồn gói của apt)"

WORK=$(mktemp -d /var/tmp/tiendo-test-deb.XXXXXX)
ROOT=$WORK/root
DAEMON_PID=
MOUNTED=()

# Whatever happens: stop the daemon we started, unmount what we mounted (newest first), and delete the root only
# when nothing is mounted below it any more.
cleanup() {
    local status=$?
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null || true
        wait "$DAEMON_PID" 2>/dev/null || true
    fi
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTED[i]}" 2>/dev/null || umount --lazy "${MOUNTED[i]}" || true
    done
    if findmnt -rn -o TARGET | grep -q "^$WORK/"; then
        echo "test-deb: vẫn còn điểm gắn dưới $WORK, không xóa:" >&2
        findmnt -rn -o TARGET | grep "^$WORK/" >&2
        status=1
    else
        rm -rf --one-file-system "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSED=0
FAILED=0
# check DESCRIPTION COMMAND…: runs the command, counts and prints the outcome; the test goes on either way.
check() {
    local what=$1
    shift
    if "$@" >"$WORK/check.out" 2>&1; then
        PASSED=$((PASSED + 1))
        echo "ok    $what"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL  $what"
        sed 's/^/      /' "$WORK/check.out" | tail -20
    fi
}
# In the root, with a clean environment; a generous guard against a hang (apt waiting on the mirror, say).
in_root() { timeout 600 chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
    DEBIAN_FRONTEND=noninteractive "$@"; }
absent() { local p; for p; do [ ! -e "$ROOT$p" ] && [ ! -L "$ROOT$p" ] || { echo "$p còn"; return 1; }; done; }
present() { local p; for p; do [ -e "$ROOT$p" ] || { echo "$p không có"; return 1; }; done; }
equals() { [ "$1" = "$2" ] || { echo "có «$1», cần «$2»"; return 1; }; }

# ---------------------------------------------------------------- the packages
V1=$(scripts/version.sh)
V2="$V1+1"
ARCH=$(dpkg --print-architecture)
DEB1=tiendo_${V1}_$ARCH.deb
DEB2=tiendo_${V2}_$ARCH.deb
say "Gói $V1"
make --no-print-directory deb DEBDIR="$WORK"
say "Gói mới hơn $V2 (dựng lại phần thay đổi)"
TIENDO_VERSION=$V2 make --no-print-directory deb DEBDIR="$WORK"
[ -f "$WORK/$DEB1" ] && [ -f "$WORK/$DEB2" ] || die "thiếu $DEB1 hoặc $DEB2 trong $WORK"
dpkg --compare-versions "$V2" gt "$V1" || die "$V2 không mới hơn $V1"

# ---------------------------------------------------------------- a clean Debian 12 root
# The mirror: the first URIs of the stanza of $SOURCES that lists the suite.
MIRROR=$(awk -v suite="$SUITE" '
    /^$/ { if (uri != "" && found) { print uri; exit } uri = ""; found = 0 }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
    END { if (uri != "" && found) print uri }' "$SOURCES" | head -1)
[ -n "$MIRROR" ] || die "không thấy kho $SUITE trong $SOURCES"
key=$(printf '%s %s minbase %s' "$MIRROR" "$SUITE" "$(dpkg-query -W -f='${Version}' debootstrap)" | sha256sum | cut -c1-16)
CACHED=$CACHE_DIR/debootstrap-$SUITE-minbase-$key.tar
mkdir -p "$ROOT"
if [ -f "$CACHED" ] && [ -z "$(find "$CACHED" -mtime +$CACHE_MAX_DAYS)" ]; then
    say "Gốc Debian 12 sạch từ bộ đệm $CACHED"
    tar -C "$ROOT" --numeric-owner -xf "$CACHED"
else
    say "debootstrap --variant=minbase $SUITE từ $MIRROR"
    debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -30 "$WORK/debootstrap.log"; die "debootstrap thất bại"; }
    if ! findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
        mkdir -p "$CACHE_DIR"
        tar -C "$ROOT" --numeric-owner -cf "$CACHED.tmp" . && mv "$CACHED.tmp" "$CACHED"
    fi
fi
# apt in the root reaches the same mirror the same way as here: the same sources, the same Acquire settings.
rm -f "$ROOT/etc/apt/sources.list"
cp "$SOURCES" "$ROOT/etc/apt/sources.list.d/"
for f in /etc/apt/apt.conf.d/*; do grep -q '^Acquire::' "$f" 2>/dev/null && cp "$f" "$ROOT/etc/apt/apt.conf.d/"; done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
MOUNTED+=("$ROOT/proc")
cp "$WORK/$DEB1" "$WORK/$DEB2" "$ROOT/tmp/"

# ---------------------------------------------------------------- install
say "apt-get install ./$DEB1"
in_root apt-get update -qq
in_root apt-get install -y -q "/tmp/$DEB1" >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log"; die "cài gói thất bại"; }
check "dpkg: tiendo $V1 đã cài" equals "$(in_root dpkg-query -W -f='${Status} ${Version}' tiendo)" "install ok installed $V1"
check "apt kéo theo systemd (Depends)" in_root dpkg-query -W systemd
check "tiendoctl --version" equals "$(in_root tiendoctl --version)" "$V1"
check "tiendod --version" equals "$(in_root tiendod --version)" "$V1"
check "tiendo-deliver --version" equals "$(in_root tiendo-deliver --version)" "$V1"
check "tiendo-web --version" equals "$(in_root tiendo-web --version)" "$V1"
check "chương trình không cần gì ngoài gói Debian (ldd)" \
    bash -c "! chroot '$ROOT' ldd /usr/bin/tiendod /usr/bin/tiendoctl /usr/bin/tiendo-deliver /usr/bin/tiendo-web | grep -E 'not found|/opt/'"
check "tiendoctl validate /usr/lib/tiendo/workflows" in_root tiendoctl validate /usr/lib/tiendo/workflows
check "sysusers: người dùng tiendo, nhóm tiendo và tiendo-admin" \
    bash -c "chroot '$ROOT' getent passwd tiendo && chroot '$ROOT' getent group tiendo tiendo-admin"
# Numeric ids: the names of this machine's /etc/passwd are not the root's.
check "tmpfiles: /var/lib/tiendo của tiendo, 0750" equals "$(stat -c '%u:%g %a' "$ROOT/var/lib/tiendo")" \
    "$(chroot "$ROOT" id -u tiendo):$(chroot "$ROOT" id -g tiendo) 750"
check "tiendod.socket được bật (liên kết)" \
    equals "$(readlink "$ROOT/etc/systemd/system/sockets.target.wants/tiendod.socket")" /lib/systemd/system/tiendod.socket
check "tiendod.service được bật lúc khởi động" \
    equals "$(readlink "$ROOT/etc/systemd/system/multi-user.target.wants/tiendod.service")" /lib/systemd/system/tiendod.service
check "tiendo-deliver.service đã cài nhưng không bật (cần cấu hình gửi trước)" bash -c \
    "[ -f '$ROOT/lib/systemd/system/tiendo-deliver.service' ] && ! ls '$ROOT'/etc/systemd/system/*.wants/tiendo-deliver.service 2>/dev/null"
check "tiendo-web.service đã cài nhưng không bật (cần tài khoản quản trị trước)" bash -c \
    "[ -f '$ROOT/lib/systemd/system/tiendo-web.service' ] && ! ls '$ROOT'/etc/systemd/system/*.wants/tiendo-web.service 2>/dev/null"
check "tiendo-backup.timer được bật (liên kết): sao lưu mỗi đêm" \
    equals "$(readlink "$ROOT/etc/systemd/system/timers.target.wants/tiendo-backup.timer")" /lib/systemd/system/tiendo-backup.timer
check "tiendo-backup.service chỉ chạy theo timer (không bật riêng)" bash -c \
    "[ -f '$ROOT/lib/systemd/system/tiendo-backup.service' ] && ! ls '$ROOT'/etc/systemd/system/*.wants/tiendo-backup.service 2>/dev/null"
check "sysusers: người dùng tiendo-web trong nhóm tiendo" \
    bash -c "chroot '$ROOT' id -nG tiendo-web | tr ' ' '\\n' | grep -qx tiendo"
# No systemd runs in the root (deb-systemd-invoke does nothing there): check what the postinst would run.
postinst_has() { grep -qF -- "$1" "$ROOT/var/lib/dpkg/info/tiendo.postinst"; }
check "postinst: deb-systemd-invoke cho tiendod.service, tiendod.socket" \
    postinst_has "deb-systemd-invoke \$_dh_action 'tiendod.service' 'tiendod.socket'"
check "postinst: start khi cài, restart khi nâng cấp" \
    bash -c "grep -q '_dh_action=start' '$ROOT/var/lib/dpkg/info/tiendo.postinst' &&
        grep -q '_dh_action=restart' '$ROOT/var/lib/dpkg/info/tiendo.postinst'"
# The sender and the web pages keep running through an upgrade and are restarted on the new programs (debhelper's
# stop before it left them down after it); stopped on removal; the database copied before an upgrade.
info() { echo "$ROOT/var/lib/dpkg/info/tiendo.$1"; }
check "postinst: try-restart tiendo-deliver, tiendo-web khi nâng cấp" \
    grep -qF "deb-systemd-invoke try-restart 'tiendo-deliver.service' 'tiendo-web.service'" "$(info postinst)"
check "postinst: chỉ tiendo-deliver, tiendo-web mà remove đã dừng (prerm ghi lại) được khởi động lại" \
    bash -c "grep -qF 'for unit in \$(cat /run/tiendo-package-stopped)' '$(info postinst)' &&
        grep -qF 'deb-systemd-invoke start \"\$unit\"' '$(info postinst)' &&
        grep -qF 'echo \"\$running\" > /run/tiendo-package-stopped' '$(info prerm)'"
check "preinst: không sao lưu lại khi cài lại cùng phiên bản" grep -qF '[ "$2" != "$3" ]' "$(info preinst)"
check "tmpfiles: cả cây /var/lib/tiendo về tiendo (Z)" grep -q '^Z *\/var\/lib\/tiendo ' "$ROOT/usr/lib/tmpfiles.d/tiendo.conf"
check "preinst: không dừng tiendo-deliver, tiendo-web trước khi nâng cấp" \
    bash -c "! grep -q 'stop .*tiendo-web' '$(info preinst)'"
check "preinst: sao lưu trước khi nâng cấp (tiendo-truoc-nang-cap-…)" \
    grep -qF 'tiendo-truoc-nang-cap-' "$(info preinst)"
check "prerm: dừng tiendo-deliver, tiendo-web khi gỡ" \
    grep -qF "deb-systemd-invoke stop tiendo-deliver.service tiendo-web.service" "$(info prerm)"
check "postrm purge: xóa /var/lib/tiendo-deliver" grep -qF "rm -rf --one-file-system /var/lib/tiendo-deliver" "$(info postrm)"
check "catalog journald đã cập nhật (MESSAGE_ID quá hạn)" \
    bash -c "chroot '$ROOT' journalctl --list-catalog | grep -q 1d773565e2744a6398541be00857352e"
check "conffile /etc/tiendo/workflows/README" \
    bash -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' tiendo | grep -q ' /etc/tiendo/workflows/README '"
check "trang man" present /usr/share/man/man8/tiendod.8.gz /usr/share/man/man1/tiendoctl.1.gz \
    /usr/share/man/man1/tiendo-deliver.1.gz /usr/share/man/man1/tiendo-web.1.gz

# ---------------------------------------------------------------- the daemon, by hand, on a fake clock
FAKE_START=2026-01-05T08:00
start_daemon() {
    install -d -o "$(chroot "$ROOT" id -u tiendo)" -g "$(chroot "$ROOT" id -g tiendo)" "$ROOT/run/tiendo"
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
        setpriv --reuid=tiendo --regid=tiendo --init-groups \
        /usr/bin/tiendod --fake-time "$FAKE_START" --socket /run/tiendo/vn.tiendo.Manager \
        >>"$WORK/tiendod.log" 2>&1 &
    DAEMON_PID=$!
    local i
    for i in $(seq 1 120); do
        in_root tiendoctl status --timeout 5 >/dev/null 2>&1 && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.5
    done
    tail -20 "$WORK/tiendod.log"
    die "tiendod không trả lời tiendoctl status"
}
stop_daemon() {
    kill -TERM "$DAEMON_PID"
    local i
    for i in $(seq 1 60); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$DAEMON_PID" 2>/dev/null && die "tiendod không dừng sau SIGTERM"
    wait "$DAEMON_PID" || die "tiendod dừng với mã $? (xem $WORK/tiendod.log)"
    DAEMON_PID=
}
status_field() { in_root tiendoctl status --json | python3 -c "import json,sys; print(json.load(sys.stdin)['status']['$1'])"; }
INSTANCE=dang-vien-du-bi/dvdb-thu-goi

say "tiendod chạy tay với người dùng tiendo, đồng hồ giả $FAKE_START"
start_daemon
check "GetStatus: phiên bản $V1" equals "$(status_field version)" "$V1"
check "GetStatus: giờ của đồng hồ giả" bash -c "[[ '$(status_field now)' == 2026-01-05T08:0* ]]"
check "tiendoctl start $INSTANCE" in_root tiendoctl start dang-vien-du-bi dvdb-thu-goi \
    --set ngay_ket_nap=2025-02-10 --set "chi_bo=Chi bộ 3"
check "tiendoctl show $INSTANCE" in_root tiendoctl show "$INSTANCE"
check "trạng thái trong /var/lib/tiendo" present /var/lib/tiendo/tiendo.sqlite
# As tiendo-backup.service runs it: tiendod's user asks, tiendod writes the copy beside the database.
check "tiendoctl backup --keep 14 (như tiendo-backup.service, người dùng tiendo)" \
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 setpriv --reuid=tiendo --regid=tiendo --init-groups \
    tiendoctl backup --keep 14
check "bản sao lưu trong /var/lib/tiendo/backups, đọc được, 1 hồ sơ" bash -c \
    "f=\$(ls '$ROOT'/var/lib/tiendo/backups/tiendo-2026-01-05-08*.sqlite) && [ \"\$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(\"file:\" + sys.argv[1] + \"?mode=ro\", uri=True).execute(\"SELECT count(*) FROM instances\").fetchone()[0])' \"\$f\")\" = 1 ]"
stop_daemon

# ---------------------------------------------------------------- upgrade
say "Nâng cấp lên $V2"
in_root apt-get install -y -q "/tmp/$DEB2" >"$WORK/upgrade.log" 2>&1 || { tail -40 "$WORK/upgrade.log"; die "nâng cấp thất bại"; }
check "dpkg: tiendo $V2 đã cài" equals "$(in_root dpkg-query -W -f='${Version}' tiendo)" "$V2"
check "tiendoctl --version sau nâng cấp" equals "$(in_root tiendoctl --version)" "$V2"
# tiendod was stopped: preinst copied its files itself, under the state directory's lock.
check "preinst: sao lưu khi tiendod đang dừng (tiendo-truoc-nang-cap-$V1-…)" bash -c \
    "ls '$ROOT'/var/lib/tiendo/backups/tiendo-truoc-nang-cap-'$V1'-*.sqlite >/dev/null && grep -q 'đã sao lưu cơ sở dữ liệu (tiendod đang dừng)' '$WORK/upgrade.log'"
start_daemon
check "GetStatus: phiên bản $V2" equals "$(status_field version)" "$V2"
check "hồ sơ vẫn còn sau nâng cấp" bash -c "chroot '$ROOT' tiendoctl show --json '$INSTANCE' | grep -q '\"startedAt\"'"
check "GetStatus: 1 hồ sơ" equals "$(status_field instances)" 1
check "tiendoctl start thêm một hồ sơ sau bản sao lưu" in_root tiendoctl start dang-vien-du-bi dvdb-sau-sao-luu \
    --set ngay_ket_nap=2025-03-10 --set "chi_bo=Chi bộ 3"
COPY=/$(cd "$ROOT" && ls var/lib/tiendo/backups/tiendo-2026-01-05-08*.sqlite | head -1)
[ "$COPY" != / ] || die "không thấy bản sao lưu của 05/01/2026 trong /var/lib/tiendo/backups"
check "tiendod --restore bị từ chối khi tiendod đang chạy (mã 65), không đổi gì" bash -c \
    "chroot '$ROOT' tiendod --restore '$COPY' 2>'$WORK/restore-refused.txt'; [ \$? = 65 ] &&
        grep -q 'tiendod đang chạy trên /var/lib/tiendo' '$WORK/restore-refused.txt' &&
        grep -q 'không thay đổi gì' '$WORK/restore-refused.txt' && ! ls -d '$ROOT'/var/lib/tiendo/truoc-khoi-phuc-* 2>/dev/null"
stop_daemon

# ---------------------------------------------------------------- restore
say "Khôi phục bản sao lưu trước nâng cấp: sudo tiendod --restore (tiendod đã dừng)"
check "tiendod --restore $COPY (root)" in_root tiendod --restore "$COPY"
check "cơ sở dữ liệu khôi phục thuộc người dùng tiendo, 640" \
    equals "$(chroot "$ROOT" stat -c '%U:%G %a' /var/lib/tiendo/tiendo.sqlite)" "tiendo:tiendo 640"
check "cơ sở dữ liệu trước đó giữ trong truoc-khoi-phuc-…, thuộc tiendo" bash -c \
    "d=\$(cd '$ROOT' && ls -d var/lib/tiendo/truoc-khoi-phuc-*) && [ -f '$ROOT'/\$d/tiendo.sqlite ] &&
        [ \"\$(chroot '$ROOT' stat -c %U /\$d)\" = tiendo ]"
start_daemon
check "GetStatus sau khôi phục: 1 hồ sơ, như bản sao" equals "$(status_field instances)" 1
stop_daemon

# ---------------------------------------------------------------- remove, purge
say "apt-get remove tiendo"
in_root apt-get remove -y -q tiendo >"$WORK/remove.log" 2>&1 || { tail -40 "$WORK/remove.log"; die "gỡ gói thất bại"; }
check "remove: chương trình, unit, workflow đi kèm đã gỡ" absent /usr/bin/tiendod /usr/bin/tiendoctl \
    /lib/systemd/system/tiendod.service /lib/systemd/system/tiendod.socket /usr/lib/tiendo
check "remove: giữ trạng thái /var/lib/tiendo và các bản sao lưu" present /var/lib/tiendo/tiendo.sqlite /var/lib/tiendo/backups
check "remove: giữ cấu hình /etc/tiendo" present /etc/tiendo/workflows/README
check "remove: dpkg còn nhớ conffiles (rc)" equals "$(in_root dpkg-query -W -f='${db:Status-Abbrev}' tiendo)" "rc "

say "apt-get purge tiendo"
in_root apt-get purge -y -q tiendo >"$WORK/purge.log" 2>&1 || { tail -40 "$WORK/purge.log"; die "purge thất bại"; }
check "purge: /var/lib/tiendo không còn ở chỗ cũ" absent /var/lib/tiendo
check "purge: cơ sở dữ liệu và bản sao lưu được giữ trong /var/backups/tiendo-da-go-*, chỉ root đọc" bash -c \
    "d=\$(ls -d '$ROOT'/var/backups/tiendo-da-go-* | head -1) && [ -f \"\$d/tiendo.sqlite\" ] && [ -d \"\$d/backups\" ] &&
        [ \"\$(stat -c '%u %a' \"\$d\")\" = '0 700' ]"
check "purge: nói chỗ giữ dữ liệu" grep -q "KHÔNG bị xóa: đã chuyển sang /var/backups/tiendo-da-go-" "$WORK/purge.log"
check "purge: cấu hình /etc/tiendo đã xóa" absent /etc/tiendo
check "purge: liên kết bật unit đã xóa" absent /etc/systemd/system/sockets.target.wants/tiendod.socket \
    /etc/systemd/system/multi-user.target.wants/tiendod.service /etc/systemd/system/timers.target.wants/tiendo-backup.timer
check "purge: dpkg không còn biết tiendo" bash -c "! chroot '$ROOT' dpkg-query -W tiendo"
check "purge: người dùng hệ thống tiendo vẫn giữ (như mọi gói Debian)" chroot "$ROOT" getent passwd tiendo

echo
echo "test-deb: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
