#!/usr/bin/env python3
"""Import speed: a fresh release tiendod, N rows through ImportInstances in batches (one client), instances/s.

    scripts/import-speed.py [N] [BATCH] [BIN_DIR]     defaults: 100000 5000 .build/release

The rows look like a ward's data (a key, a name, a group, a due date); the clock is faked before every due date,
so nothing fires during the import. Prints one line: N, seconds, instances/s. A rough check for development; the
figures of record come from `make bench` (scenario 1)."""
import json
import resource
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
BATCH = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
BIN = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, ".build", "release")

WORKFLOW = """tiendo: 1
title: Kiểm tra hồ sơ
fields:
  ho_ten: {type: text, required: true, title: Họ và tên}
  chi_bo: {type: text, required: true, title: Chi bộ}
  han: {type: date, required: true}
group_by: chi_bo
initial: cho
states:
  cho:
    title: Chờ nộp
    deadline: {due: han, remind: [3d]}
    on: {nop: xong}
  xong: {final: true, title: Đã nộp}
milestones:
  xac-minh: {title: Xác minh lý lịch, due: han - 2d}
"""


def call(sock, method, params):
    sock.sendall(json.dumps({"method": method, "parameters": params}).encode() + b"\0")
    buf = b""
    while not buf.endswith(b"\0"):
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    reply = json.loads(buf[:-1])
    if "error" in reply:
        raise RuntimeError(reply)
    return reply["parameters"]


def main():
    d = tempfile.mkdtemp(prefix="tiendo-import-speed-")
    wf = os.path.join(d, "wf")
    os.makedirs(os.path.join(wf, "calendars"))
    shutil.copy(os.path.join(ROOT, "Workflows", "calendars", "vn.yaml"), os.path.join(wf, "calendars"))
    with open(os.path.join(wf, "kt.yaml"), "w", encoding="utf-8") as f:
        f.write(WORKFLOW)
    path = os.path.join(d, "sock")
    env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET")}
    proc = subprocess.Popen(
        [*os.environ.get("IMPORT_SPEED_PREFIX", "").split(), os.path.join(BIN, "tiendod"), "--workflows", wf, "--state-dir", os.path.join(d, "state"),
         "--runtime-dir", os.path.join(d, "run"), "--socket", path, "--fake-time", "2026-03-02T09:00:00+07:00"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(600):
            try:
                s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        messages = []
        for start in range(0, N, BATCH):
            rows = [{"key": f"k{i}", "ho_ten": f"Nguyễn Văn {i}", "chi_bo": f"Chi bộ {i % 40}",
                     "han": f"2026-{4 + i % 8:02d}-{1 + i % 28:02d}"} for i in range(start, min(N, start + BATCH))]
            messages.append(rows)
        t0 = time.monotonic()
        for rows in messages:
            call(s, "vn.tiendo.Manager.ImportInstances", {"workflow": "kt", "rows": rows})
        t = time.monotonic() - t0
        print(f"N={N} batch={BATCH} seconds={t:.2f} instances/s={N / t:,.0f}")
    finally:
        proc.terminate()
        proc.wait()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"tiendod CPU (whole run, start-up included): user {ru.ru_utime:.2f} s, system {ru.ru_stime:.2f} s")
        if not os.environ.get("IMPORT_SPEED_KEEP"):
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("kept", d)


main()
