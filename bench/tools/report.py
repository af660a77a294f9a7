#!/usr/bin/env python3
"""Prints bench/results.json as the Markdown tables of docs/performance.md (results, targets, machine).

    report.py RESULTS.json                 print the tables
    report.py RESULTS.json --update DOC    replace the block between <!-- bench:results --> and
                                           <!-- /bench:results --> in DOC with them
"""
import io
import json
import sys
from contextlib import redirect_stdout


def fmt(v, unit):
    if v is None:
        return "—"
    if unit == "s":
        if v < 1e-3:
            return f"{v * 1e6:.0f} µs"
        if v < 1:
            return f"{v * 1e3:.1f} ms"
        return f"{v:.2f} s"
    if unit in ("B", "B/instance"):
        if v >= 1 << 20:
            return f"{v / (1 << 20):.1f} MiB"
        return f"{v:.0f} B"
    if unit == "x":
        return f"{v:.2f}×" if v < 10 else f"{v:.0f}×"
    if unit == "/min":
        return f"{v:.0f}/min"
    if v >= 1e6:
        s = f"{v / 1e6:.2f} M"
    elif v >= 1e4:
        s = f"{v / 1e3:.0f} k"
    elif v >= 1e3:
        s = f"{v / 1e3:.1f} k"
    elif v < 10 and v != round(v):
        s = f"{v:.2f}"
    else:
        s = f"{v:.0f}"
    return s + (" /s" if unit == "/s" else "")


def label(n):
    named = {None: "", 0: "0", 1000: "10³", 10000: "10⁴", 100000: "10⁵", 300000: "3·10⁵", 1000000: "10⁶", 10000000: "10⁷"}
    return named[n] if n in named else f"{n:,}"


def tables(res):
    ms = res["measurements"]
    print("| scenario | N | metric | value | target | met? |")
    print("|---|---|---|---|---|---|")
    for m in sorted(ms, key=lambda m: (m["scenario"][0], m["n"] or 0)):
        t = m.get("target")
        target = f"{t['op']} {fmt(t['value'], m['unit'])}" if t else ""
        met = m.get("met")
        if met is True:
            v = "**yes**"
        elif met is False:
            v = "**no**"
        elif t and m.get("meetsTargetAtThisN") is not None:
            v = "(yes)" if m["meetsTargetAtThisN"] else "(no)"
        else:
            v = ""
        print(f"| {m['scenario']} | {label(m['n'])} | {m['metric']} | {fmt(m['value'], m['unit'])} | {target} | {v} |")
    sc = res["scenarios"]
    print()
    print(f"{len(sc['passed'])} scenario runs passed, {len(sc['failed'])} failed, {len(sc.get('skipped', []))} skipped "
          f"({res['elapsedSeconds']:.0f} s, mode {res['mode']}).")
    for f in sc["failed"]:
        print(f"- failed: {f['scenario']}: {f['error']}")
    for s in sc.get("skipped", []):
        print(f"- skipped: {s['scenario']}: {s['reason']}")
    print()
    print("| machine | |")
    print("|---|---|")
    for k, v in res["machine"].items():
        print(f"| {k} | {v} |")


def main():
    res = json.load(open(sys.argv[1]))
    if len(sys.argv) == 4 and sys.argv[2] == "--update":
        buf = io.StringIO()
        with redirect_stdout(buf):
            tables(res)
        doc = open(sys.argv[3]).read()
        begin, end = "<!-- bench:results -->", "<!-- /bench:results -->"
        if begin not in doc or end not in doc:
            sys.exit(f"{sys.argv[3]}: no {begin} … {end} block")
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        open(sys.argv[3], "w").write(head + begin + "\n" + buf.getvalue() + end + tail)
        print(f"updated the results in {sys.argv[3]}")
    else:
        tables(res)


if __name__ == "__main__":
    main()
