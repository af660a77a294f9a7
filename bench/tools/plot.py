#!/usr/bin/env python3
"""Draws the plots of docs/performance.md from bench/results.json (SVG, matplotlib).

    plot.py RESULTS.json OUTDIR

perf-rates.svg      import, firing and raw SQLite rates against N (log-log), with the firing and import targets
perf-latency.svg    Agenda(days: 7) p50/p99, GetStatus p50 and cold start against N, with Remind for scale
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series(ms, scenario, metric):
    pts = sorted((m["n"], m["value"]) for m in ms
                 if m["scenario"] == scenario and m["metric"] == metric and m["n"] and m["value"] is not None)
    return [p[0] for p in pts], [p[1] for p in pts]


def lines(ax, ms, specs):
    """One line per (scenario, metric, label, style) that has points."""
    for scenario, metric, label, style in specs:
        x, y = series(ms, scenario, metric)
        if x:
            ax.plot(x, y, style, label=label)


def finish(fig, ax, res, path, ylabel, title, legend):
    """The axes both plots share (log-log over the run's sizes), then the SVG without a date."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(min(res["sizes"]) / 1.5, max(res["sizes"]) * 1.5)
    ax.set_xlabel("N instances")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc=legend)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def main():
    res = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    ms = res["measurements"]
    machine = res["machine"]
    subtitle = f"{machine.get('nproc')} cores ({machine.get('cpuModel')}), shared; {res.get('startedAt', '')[:10]}"
    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "tiendo-bench", "svg.fonttype": "none"})

    # Rates.
    fig, ax = plt.subplots(figsize=(7, 4.2))
    lines(ax, ms, [
        ("3 vs raw SQLite", "raw batched inserts/s", "raw SQLite batched inserts (C)", "k--"),
        ("3 vs raw SQLite", "same row work in C, records/s", "the daemon's SQL in C (no Swift)", "k:"),
        ("3 firing", "durable records/s", "tiendod firing, durable records/s", "o-"),
        ("1 import", "instances/s", "tiendod import, instances/s", "s-"),
        ("6 in-memory engine", "steps/s (advance at wake-ups)", "engine in memory, steps/s", "^-"),
    ])
    x, y = series(ms, "1 import", "instances/s (abandoned)")
    if x:
        ax.plot(x, y, "x", color="tab:orange", ms=9, label="tiendod import, abandoned (rate when given up)")
    ax.axhline(200_000, color="tab:red", lw=0.8)
    ax.text(min(res["sizes"]) / 1.4, 200_000 * 1.08, "firing target 200k/s", color="tab:red", fontsize=8)
    ax.axhline(100_000, color="tab:red", lw=0.8, ls=":")
    ax.text(min(res["sizes"]) / 1.4, 100_000 * 0.8, "import target 100k/s", color="tab:red", fontsize=8)
    finish(fig, ax, res, f"{out}/perf-rates.svg", "per second", "Throughput against N\n" + subtitle, "lower left")

    # Latencies.
    fig, ax = plt.subplots(figsize=(7, 4.2))
    lines(ax, ms, [
        ("4 Agenda(days: 7)", "p50", "Agenda(days: 7) p50", "o-"),
        ("4 Agenda(days: 7)", "p99", "Agenda(days: 7) p99", "o--"),
        ("4 GetStatus", "p50", "GetStatus p50", "s-"),
        ("2 cold start", "exec → READY=1", "cold start to READY=1", "^-"),
        ("4 vs Remind", "remind -q (whole run)", "remind -q, same deadlines", "k:"),
        ("5 SendEvent", "16 clients p99", "SendEvent p99, 16 clients", "d--"),
    ])
    ax.axhline(0.050, color="tab:red", lw=0.8)
    ax.axhline(2.0, color="tab:red", lw=0.8, ls="--")
    ax.axhline(3.0, color="tab:red", lw=0.8, ls=":")
    finish(fig, ax, res, f"{out}/perf-latency.svg", "seconds",
           "Latency against N (red: Agenda p99 target 50 ms; cold start 2 s at 10⁶, 3 s at 10⁷)\n" + subtitle,
           "upper left")
    print(f"plots: {out}/perf-rates.svg {out}/perf-latency.svg")


if __name__ == "__main__":
    main()
