"""Random damage, with a fixed seed so a failure is reproduced: the shipped workflow files mutated line by line through
`tiendoctl validate` (and `plan` when still valid), and calls with random parameters on tiendod's socket. Every run
must end with a diagnostic or a reply — never a crash, a hang or a dead daemon."""

import glob
import json
import os
import random
import re
import socket

from conftest import ROOT, Daemon, ctl, workflows_dir, write

SHIPPED = sorted(glob.glob(os.path.join(ROOT, "Workflows", "*.yaml")))
WEIRD = ["", "~", "null", "[]", "{}", "-1", "99999999999999999999", "1e308", "''", '"\\u0000"', "&a", "*a", "!!binary",
         "2026-02-30", "9999-12-31", "-9999999mo", "999999wd", "ngay_ket_nap + 12mo + 30wd - 5d", "|", ">", "? x",
         "- - -", "\t", "ệ" * 300, "[1, [2, [3, [4]]]]", "{a: {b: {c: 1}}}", "entered + 0wd", "25:61", "yes", "on"]


def mutate(rng, text):
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        op = rng.randrange(7)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2 and ":" in lines[i]:
            lines[i] = lines[i][:lines[i].index(":") + 1] + " " + rng.choice(WEIRD)
        elif op == 3 and lines[i]:
            j = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + rng.choice([" ", ":", "-", "'", '"', "#", "{", "[", "\u00a0", "\x00"]) + lines[i][j:]
        elif op == 4:
            lines[i] = "  " + lines[i]
        elif op == 5:
            lines[i] = lines[i].lstrip()
        else:
            lines[i] = re.sub(r"\d+", lambda m: rng.choice(["0", "-1", "999999999", "18446744073709551616", m.group(0)]), lines[i])
    out = "\n".join(lines)
    return out[:rng.randrange(len(out))] if rng.random() < 0.05 else out


def test_mutated_workflow_files_get_diagnostics_not_crashes():
    rng = random.Random(20261206)
    d = workflows_dir({})
    for n in range(300):
        source = rng.choice(SHIPPED)
        path = os.path.join(d, os.path.basename(source))
        with open(source, encoding="utf-8") as f:
            write(path, mutate(rng, f.read()).encode("utf-8", "surrogatepass"))
        r = ctl("validate", path)
        said = (r.stdout + r.stderr).decode("utf-8", "replace")
        assert r.returncode in (0, 1) and "Fatal error" not in said, (n, source, r.returncode, said[-500:])
        if r.returncode == 0 and n % 3 == 0:
            r = ctl("plan", path, "--start", "2026-01-05T08:00")
            said = (r.stdout + r.stderr).decode("utf-8", "replace")
            assert r.returncode in (0, 1, 2, 64) and "Fatal error" not in said, (n, source, r.returncode, said[-500:])
        os.unlink(path)


HOP = """tiendo: 1
title: Thử
fields:
  ma: {type: text}
  han: {type: date, required: true}
  diem: {type: integer, min: 0, max: 100}
group_by: ma
initial: moi
office_events: [duyet]
states:
  moi:
    title: Mới
    on:
      duyet: xong
      cham:
        - {if: {diem: {ge: 50}}, to: xong}
    deadline: {due: han, remind: [1d]}
  xong: {final: true}
milestones:
  bao-cao: {title: Báo cáo, due: han}
  tong-ket: {title: Tổng kết, due: han + 1d, requires: [bao-cao]}
"""


def methods():
    """Every method of the shipped interface files, with its parameters' names."""
    out = []
    for name in ("vn.tiendo.Manager.varlink", "vn.tiendo.Extras.varlink", "vn.tiendo.Delivery.varlink"):
        with open(os.path.join(ROOT, name), encoding="utf-8") as f:
            text = f.read()
        interface = re.search(r"^interface (\S+)", text, re.M).group(1)
        for m in re.finditer(r"^method (\w+)\(([^)]*)\)", text, re.M | re.S):
            if m.group(1) != "Watch":
                out.append((f"{interface}.{m.group(1)}", re.findall(r"(\w+)\s*:", m.group(2))))
    return out + [("org.varlink.service.GetInterfaceDescription", ["interface"]), ("org.varlink.service.GetInfo", [])]


def value(rng, depth=0):
    c = rng.randrange(14 if depth < 3 else 11)
    if c == 11:
        return [value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if c == 12:
        return {"han": rng.choice(["2026-03-05", "2026-02-30", 5, None]), "diem": rng.choice([0, 50, 101, -1, 2 ** 63, "50"]),
                "ma": rng.choice(["A", "", "x" * 5000, None, "ệ"])}
    if c == 13:
        return {rng.choice(["id", "key", "workflow", "days", "limit"]): value(rng, depth + 1)}
    return [None, True, 0, -1, 2 ** 63, 2 ** 64, 1.5e308, "", "x" * rng.choice([1, 300, 70000]),
            rng.choice(["hop", "hop/k1", "hop/k2", "k1", "bao-cao", "tong-ket", "duyet", "cham", "done", "2026-03-02",
                        "2026-03-02T09:00:00+07:00", "2026-02-30T25:00:00Z", "9999-12-31", "../../etc/passwd", "\u0000",
                        "a|b", "%s%n"]),
            rng.choice(["moi", "xong", "ma", "han", "diem"])][c]


def test_random_calls_get_replies_and_the_daemon_lives(daemon_factory):
    daemon = daemon_factory(workflows_dir({"hop.yaml": HOP}))
    rng = random.Random(20261206)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(daemon.socket)
    buffer = b""

    def call(method, parameters):
        nonlocal buffer
        s.sendall(json.dumps({"method": method, "parameters": parameters}).encode() + b"\0")
        while b"\0" not in buffer:
            chunk = s.recv(1 << 20)
            assert chunk, f"tiendod closed the connection after {method} {json.dumps(parameters)[:300]}"
            buffer += chunk
        reply, buffer = buffer.split(b"\0", 1)
        return json.loads(reply)

    for key in ("k1", "k2"):
        r = call("vn.tiendo.Manager.StartInstance", {"workflow": "hop", "key": key, "data": {"han": "2026-03-05", "ma": "A"}})
        assert "error" not in r, r
    every = methods()
    answered = refused = 0
    for n in range(2000):
        method, names = rng.choice(every)
        parameters = {name: value(rng) for name in names if rng.random() < 0.8}
        if rng.random() < 0.1:
            parameters[rng.choice(["zzz", "id"])] = value(rng)
        r = call(method, parameters)
        assert "parameters" in r or "error" in r, (n, method, r)
        answered += "error" not in r
        refused += r.get("error", "").startswith("vn.tiendo.")
        if r.get("error", "").startswith("org.varlink.service."):
            assert r["error"] in ("org.varlink.service.InvalidParameter", "org.varlink.service.MethodNotFound",
                                  "org.varlink.service.InterfaceNotFound", "org.varlink.service.ExpectedMore",
                                  "org.varlink.service.MethodNotImplemented"), (n, method, r)
        assert daemon.proc.poll() is None, (n, method, parameters, daemon.log_text()[-2000:])
    s.close()
    # The calls reach the methods, not only the parameter checks: many answered, many refused by tiendod's own rules.
    assert answered >= 100 and refused >= 30, (answered, refused)
    status = daemon.ctl("status")
    assert status.returncode == 0, status
    daemon.stop()
