"""Hostile local clients of the control socket, run under another uid by test_overload.py (setpriv).

    attacker.py SOCKET idle N            open N connections and hold them
    attacker.py SOCKET unread N LIMIT    N connections, each sends ListInstances(LIMIT) and never reads
    attacker.py SOCKET pipeline N LIMIT  one connection pipelining N ListInstances(LIMIT), never reading
    attacker.py SOCKET watch N           N Watch streams that never read
    attacker.py SOCKET flood N MIB       N connections each sending MIB MiB without a terminator
    attacker.py SOCKET trickle           one connection sending a byte every 0.2 s

Prints one JSON line when set up ("ready", with what it saw), then holds its connections until stdin closes.
`flood` prints instead how long each connection took to be dropped.
"""

import json
import socket
import sys
import threading
import time

IFACE = "vn.tiendo.Manager"


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def msg(method, params=None, **extra):
    o = {"method": IFACE + "." + method, "parameters": params or {}}
    o.update(extra)
    return json.dumps(o).encode() + b"\0"


def closed_by_server(s, timeout=2.0):
    s.settimeout(timeout)
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def main():
    path, mode = sys.argv[1], sys.argv[2]
    args = [int(a) for a in sys.argv[3:]]
    held = []
    report = {"ready": True}
    if mode == "idle":
        for _ in range(args[0]):
            try:
                held.append(connect(path))
            except OSError as e:
                report["connect_error"] = str(e)
                break
        time.sleep(1.0)
        report["refused"] = sum(1 for s in held if closed_by_server(s, 0.01))
        report["opened"] = len(held)
    elif mode == "unread":
        for _ in range(args[0]):
            s = connect(path)
            s.sendall(msg("ListInstances", {"limit": args[1]}))
            held.append(s)
    elif mode == "pipeline":
        s = connect(path)
        s.setblocking(False)
        data = msg("ListInstances", {"limit": args[1]}) * args[0]
        sent = 0
        end = time.time() + 5
        while sent < len(data) and time.time() < end:
            try:
                sent += s.send(data[sent:])
            except BlockingIOError:
                time.sleep(0.01)
        report["sent_requests"] = sent // len(msg("ListInstances", {"limit": args[1]}))
        held.append(s)
    elif mode == "watch":
        for _ in range(args[0]):
            s = connect(path)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(msg("Watch", more=True))
            held.append(s)
    elif mode == "flood":
        n, mib = args
        times = [None] * n

        def flood(i):
            s = connect(path)
            chunk = b"x" * (1 << 20)
            t0 = time.time()
            try:
                for _ in range(mib):
                    s.sendall(chunk)
                s.settimeout(30)
                s.recv(1)
            except OSError:
                pass
            times[i] = time.time() - t0
            s.close()

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        report["dropped_after"] = times
    elif mode == "trickle":
        s = connect(path)
        t0 = time.time()
        payload = msg("GetStatus")[:-1] + b" " * 10000
        try:
            for b in payload:
                s.sendall(bytes([b]))
                time.sleep(0.2)
        except OSError:
            pass
        report["dropped_after"] = time.time() - t0
    print(json.dumps(report), flush=True)
    sys.stdin.read()
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
