#!/usr/bin/env python3
"""What SQLite alone costs for an import's rows (docs/performance.md, "The import on both cores").

    import-floor.py SOURCE VARIANT [OUT]

SOURCE is a state database the benchmark's import made (`tiendo-bench --only import --keep`). Its instance rows, due
items and history rows are copied, with no Swift in the way, into a fresh database OUT (default /tmp/import-floor.sqlite)
of the same schema (tables, indexes and triggers read from SOURCE): WAL, synchronous=FULL and 64 MiB of page cache as
tiendod's writer has, one transaction per 5,000 instances in import order (their instance rows, then their due
items, then their history rows, each by one INSERT … SELECT). Prints the seconds and instances/s.

VARIANT: full (every index kept row by row, as the daemon does), noindex (secondary indexes built after the rows),
drop:NAME (without that index), grponly (instances_grp on the group alone), sorted (each transaction's instance rows
in (group, id) order)."""
import os
import sqlite3
import sys
import time

src, variant = sys.argv[1], sys.argv[2]
dst = sys.argv[3] if len(sys.argv) > 3 else "/tmp/import-floor.sqlite"
for f in (dst, dst + "-wal", dst + "-shm"):
    if os.path.exists(f):
        os.remove(f)
meta = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
tables = [r[0] for r in meta.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
indexes = list(meta.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
triggers = [r[0] for r in meta.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
meta.close()

# URI filenames on: the ATTACH below opens SOURCE read-only through one, whatever SQLite's build defaults to.
db = sqlite3.connect(dst, isolation_level=None, uri=True)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
db.execute("PRAGMA cache_size = -65536")
for sql in tables + triggers:
    db.execute(sql)
for name, sql in indexes:
    if variant == "noindex" or variant == f"drop:{name}":
        continue
    if variant == "grponly" and name == "instances_grp":
        sql = "CREATE INDEX instances_grp ON instances(grp)"
    db.execute(sql)
db.execute("ATTACH ? AS s", (f"file:{src}?mode=ro",))
n = db.execute("SELECT MAX(rowid) FROM s.instances").fetchone()[0]
order = " ORDER BY grp, id" if variant == "sorted" else " ORDER BY rowid"
t0 = time.monotonic()
for a in range(0, n, 5000):
    span = (a, a + 5000)
    db.execute("BEGIN")
    db.execute("INSERT INTO instances SELECT * FROM s.instances WHERE rowid > ? AND rowid <= ?" + order, span)
    db.execute(
        "INSERT INTO due_items SELECT d.* FROM s.due_items d JOIN s.instances i ON i.id = d.instance"
        " WHERE i.rowid > ? AND i.rowid <= ?", span)
    db.execute(
        "INSERT INTO history SELECT h.* FROM s.history h JOIN s.instances i ON i.id = h.instance"
        " WHERE i.rowid > ? AND i.rowid <= ? ORDER BY h.seq", span)
    db.execute("COMMIT")
t1 = time.monotonic()
if variant == "noindex":
    db.execute("BEGIN")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
t2 = time.monotonic()
print(f"{variant}: rows {t1 - t0:.2f} s, indexes after {t2 - t1:.2f} s, {n / (t2 - t0):.0f} instances/s")
