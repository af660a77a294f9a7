/*
 * sqlite-ceiling: the most SQLite itself can durably write on this disk, as a ceiling for tiendod's firing rate.
 *
 *   sqlite-ceiling DB N BATCH RECORD_BYTES MODE SCHEMA_FILE [SYNCHRONOUS]
 *
 * Same SQLite configuration (memory statistics off, a 64 MiB page cache), journal and durability as the daemon (WAL, synchronous=FULL
 * unless SYNCHRONOUS says otherwise, e.g. NORMAL to see what the fsync of every commit costs on this disk), the
 * daemon's own schema (SCHEMA_FILE: the
 * `.schema` of a state database tiendod made, so tables and indexes match whatever version is measured),
 * transactions of BATCH rows. Prints the seconds of the timed part on stdout.
 *
 * MODE raw     N inserts of a RECORD_BYTES history row into the empty history table: "raw SQLite batched inserts".
 * MODE daemon  the daemon's SQL for N timed transitions, without any Swift: N instances and their N 'started'
 *              history rows exist (untimed); then per batch, in one transaction: read the due instances, update each
 *              instance row's mutable columns, replace its due item, insert one history row, and move each instance's
 *              count from its old state to its new one (one upsert per group and state into `counts`, one per state
 *              into `workflow_counts`) and move the sent watermark to the previous batch's last record; at the end
 *              the watermark covers the last batch (as Daemon.tick, Store.commit and Store.markSent do).
 * MODE log     what a fire would cost if the schedule lived in memory and an instance's state were its row plus the
 *              history after it (issue 14's redesign, measured before building it): the same set-up as daemon; per
 *              fire, the instance's row read by its id and its history after the row read through history_instance,
 *              then one history row inserted; per batch, the sent watermark. Nothing else is written.
 * MODE hot     as log, but instead of reading the history after the row, an update per fire of a narrow table of
 *              each instance's hot state (state, marks, next wake-up; rowid-keyed, no index), so that a start needs
 *              no history replay: the same set-up adds one row per instance to it (untimed).
 * daemon, log and hot fire the instances in import order (as the benchmark's burst fires them), or with
 * CEILING_ORDER=scattered in a scattered order (a stride of 7,919, a prime: every instance once unless N is a multiple
 * of it; for daemon, the order of their wake-ups). log reads one history row per fire (the `started` row): in the
 * design it stands for, the history after an instance's row grows until the row is written again.
 * docs/performance.md, "A fire's SQL with its schedule in memory", has the figures.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, err);
        exit(1);
    }
}

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sql);
    return st;
}

static void step_done(sqlite3_stmt *st) {
    if (sqlite3_step(st) != SQLITE_DONE) die("step");
    sqlite3_reset(st);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: %s DB N BATCH RECORD_BYTES raw|daemon|log|hot SCHEMA_FILE [FULL|NORMAL]\n", argv[0]);
        return 2;
    }
    const char *sync = argc == 8 ? argv[7] : "FULL";
    if (strcmp(sync, "FULL") != 0 && strcmp(sync, "NORMAL") != 0 && strcmp(sync, "EXTRA") != 0) return 2;
    const char *path = argv[1];
    long n = atol(argv[2]), batch = atol(argv[3]), rb = atol(argv[4]);
    int log_mode = strcmp(argv[5], "log") == 0, hot = strcmp(argv[5], "hot") == 0;
    int daemon = strcmp(argv[5], "daemon") == 0 || log_mode || hot;
    const char *order = getenv("CEILING_ORDER");
    int scattered = order && strcmp(order, "scattered") == 0;
    if (order && !scattered && strcmp(order, "import") != 0) {
        fprintf(stderr, "CEILING_ORDER must be import or scattered\n");
        return 2;
    }
    if (n <= 0 || batch <= 0 || rb < 64) return 2;
    /* As tiendod configures SQLite (Store.memoryStatisticsOff): no memory statistics, whose global mutex every
       allocation took. The baselines and the daemon run the same library the same way. */
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK) {
        fprintf(stderr, "sqlite3_config(SQLITE_CONFIG_MEMSTATUS) failed\n");
        return 1;
    }
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open");
    exec("PRAGMA journal_mode=WAL");
    {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", sync);
        exec(pragma);
        /* Store.cacheKiB: each of the daemon's connections keeps 64 MiB of pages. */
        exec("PRAGMA cache_size=-65536");
    }
    {
        FILE *f = fopen(argv[6], "r");
        if (!f) {
            perror(argv[6]);
            return 1;
        }
        static char schema[1 << 16];
        size_t len = fread(schema, 1, sizeof schema - 1, f);
        fclose(f);
        schema[len] = 0;
        exec(schema);
    }

    char *record = malloc(rb + 1);
    for (long i = 0; i < rb; i++) record[i] = "abcdefghijklmnopqrstuvwxyz0123456789 "[i % 37];
    record[rb] = 0;
    char id[64], data[256];
    const long t0 = 1762362000; /* 2025-11-06T00:00:00+07:00 */

    sqlite3_stmt *hist = prepare("INSERT INTO history(instance, workflow, at, kind, record) VALUES (?,?,?,?,?)");
    if (daemon) {
        /* Untimed: the state after the import of the firing set. */
        sqlite3_stmt *ins = prepare(
            "INSERT INTO instances(id, workflow, state, data, started_at, entered_at, digest, checked_at, next_wakeup, grp)"
            " VALUES (?, 'dang-vien-du-bi', 'du-bi', ?, ?, ?, 'digest0123456789abcdef', ?, ?, ?)");
        exec("BEGIN");
        for (long i = 0; i < n; i++) {
            snprintf(id, sizeof id, "dang-vien-du-bi/dv%07ld", i + 1);
            snprintf(data, sizeof data,
                     "{\"ngay_ket_nap\":\"2024-11-05\",\"ho_ten\":\"Nguyễn Văn An\",\"chi_bo\":\"Chi bộ số %ld – Phường %04ld\"}",
                     i % 7 + 1, i % 3321 + 1);
            sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 2, data, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 3, t0 - 3 * 86400);
            sqlite3_bind_int64(ins, 4, t0 - 3 * 86400);
            sqlite3_bind_int64(ins, 5, t0 - 3 * 86400);
            /* All due at t0, in import order; scattered: in the order of a stride through them, all before t0. */
            sqlite3_bind_int64(ins, 6, scattered ? t0 - n + (i * 7919) % n : t0);
            sqlite3_bind_text(ins, 7, data + 40, 30, SQLITE_TRANSIENT);
            step_done(ins);
            sqlite3_bind_text(hist, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(hist, 2, "dang-vien-du-bi", -1, SQLITE_STATIC);
            sqlite3_bind_int64(hist, 3, t0 - 3 * 86400);
            sqlite3_bind_text(hist, 4, "started", -1, SQLITE_STATIC);
            sqlite3_bind_text(hist, 5, record, (int)rb, SQLITE_STATIC);
            step_done(hist);
        }
        exec("COMMIT");
        if (hot) {
            exec("CREATE TABLE hot(id INTEGER PRIMARY KEY, state TEXT NOT NULL, marks TEXT NOT NULL, next_wakeup INTEGER)");
            exec("INSERT INTO hot(id, state, marks, next_wakeup) SELECT rowid, state, '{}', next_wakeup FROM instances");
        }
        exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('sent_through', (SELECT MAX(seq) FROM history))");
        sqlite3_finalize(ins);
        exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }

    sqlite3_stmt *due = prepare(
        "SELECT * FROM instances WHERE next_wakeup IS NOT NULL AND next_wakeup <= ? ORDER BY next_wakeup LIMIT ?");
    sqlite3_stmt *update = prepare(
        "UPDATE instances SET state=?, entered_at=?, marks=?, checked_at=?, next_wakeup=? WHERE id=?");
    sqlite3_stmt *deldue = prepare("DELETE FROM due_items WHERE instance = ?");
    sqlite3_stmt *insdue = prepare(
        "INSERT INTO due_items(instance, deadline, workflow, grp, state, milestone, title, due, due_end) VALUES (?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt *upcount = NULL, *upwfcount = NULL;
    if (daemon) {
        upcount = prepare(
            "INSERT INTO counts(workflow, digest, stale, state, grp, completed, n)"
            " VALUES ('dang-vien-du-bi', 'digest0123456789abcdef', 0, ?, ?, 0, ?)"
            " ON CONFLICT(workflow, digest, stale, state, grp, completed) DO UPDATE SET n = n + excluded.n");
        upwfcount = prepare(
            "INSERT INTO workflow_counts(workflow, digest, stale, state, completed, n)"
            " VALUES ('dang-vien-du-bi', 'digest0123456789abcdef', 0, ?, 0, ?)"
            " ON CONFLICT(workflow, digest, stale, state, completed) DO UPDATE SET n = n + excluded.n");
    }
    /* The sent watermark (schema v8): each transaction records that the previous one's records went out. */
    sqlite3_stmt *mark = daemon ? prepare("UPDATE meta SET value = ? WHERE key = 'sent_through'") : NULL;
    sqlite3_stmt *byid = NULL, *tail = NULL, *uphot = NULL;
    if (log_mode || hot) {
        byid = prepare("SELECT rowid, * FROM instances WHERE id = ?");
        tail = prepare("SELECT seq, kind, record FROM history WHERE instance = ? AND seq > ? ORDER BY seq");
    }
    if (hot) uphot = prepare("UPDATE hot SET state = ?, marks = ?, next_wakeup = ? WHERE id = ?");
    sqlite3_int64 last_seq = 0;

    double start = now();
    long done = 0;
    while (done < n) {
        long m = n - done < batch ? n - done : batch;
        long k = 0;
        char (*ids)[64] = malloc(64 * m);
        if (log_mode || hot) {
            /* The due batch comes from memory: the instances in import order, or scattered as a ward's wake-ups fall. */
            for (k = 0; k < m; k++)
                snprintf(ids[k], 64, "dang-vien-du-bi/dv%07ld", (scattered ? ((done + k) * 7919) % n : done + k) + 1);
        } else if (daemon) {
            /* The due batch, read with every column as the store decodes it. */
            sqlite3_bind_int64(due, 1, t0 + 5);
            sqlite3_bind_int64(due, 2, m);
            while (sqlite3_step(due) == SQLITE_ROW && k < m) {
                for (int c = 0; c < sqlite3_column_count(due); c++) (void)sqlite3_column_text(due, c);
                snprintf(ids[k], 64, "%s", (const char *)sqlite3_column_text(due, 0));
                k++;
            }
            sqlite3_reset(due);
            if (k != m) {
                fprintf(stderr, "expected %ld due rows, got %ld\n", m, k);
                return 1;
            }
        }
        exec("BEGIN IMMEDIATE");
        if (daemon && last_seq > 0) {
            sqlite3_bind_int64(mark, 1, last_seq);
            step_done(mark);
        }
        for (long j = 0; j < m; j++) {
            long i = done + j;
            if (log_mode || hot) {
                /* The instance: its row, then what history says happened after it. */
                snprintf(id, sizeof id, "%s", ids[j]);
                sqlite3_int64 rowid = 0;
                sqlite3_bind_text(byid, 1, id, -1, SQLITE_TRANSIENT);
                if (sqlite3_step(byid) != SQLITE_ROW) die("instance by id");
                rowid = sqlite3_column_int64(byid, 0);
                for (int c = 1; c < sqlite3_column_count(byid); c++) (void)sqlite3_column_text(byid, c);
                sqlite3_reset(byid);
                if (log_mode) {
                    sqlite3_bind_text(tail, 1, id, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int64(tail, 2, 0);
                    while (sqlite3_step(tail) == SQLITE_ROW) (void)sqlite3_column_text(tail, 2);
                    sqlite3_reset(tail);
                }
                if (hot) {
                    snprintf(data, sizeof data, "{\"\":%ld}", t0);
                    sqlite3_bind_text(uphot, 1, "cho-xet", -1, SQLITE_STATIC);
                    sqlite3_bind_text(uphot, 2, data, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int64(uphot, 3, t0 + 27 * 86400);
                    sqlite3_bind_int64(uphot, 4, rowid);
                    step_done(uphot);
                }
            } else if (daemon) {
                snprintf(id, sizeof id, "%s", ids[j]);
                snprintf(data, sizeof data, "{\"\":%ld}", t0);
                sqlite3_bind_text(update, 1, "cho-xet", -1, SQLITE_STATIC);
                sqlite3_bind_int64(update, 2, t0);
                sqlite3_bind_text(update, 3, data, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(update, 4, t0 + 5);
                sqlite3_bind_int64(update, 5, t0 + 27 * 86400);
                sqlite3_bind_text(update, 6, id, -1, SQLITE_TRANSIENT);
                step_done(update);
                sqlite3_bind_text(deldue, 1, id, -1, SQLITE_TRANSIENT);
                step_done(deldue);
                sqlite3_bind_text(insdue, 1, id, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(insdue, 2, "", -1, SQLITE_STATIC);
                sqlite3_bind_text(insdue, 3, "dang-vien-du-bi", -1, SQLITE_STATIC);
                char grp[64];
                snprintf(grp, sizeof grp, "Chi bộ số %ld – Phường %04ld", i % 7 + 1, i % 3321 + 1);
                sqlite3_bind_text(insdue, 4, grp, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(insdue, 5, "cho-xet", -1, SQLITE_STATIC);
                sqlite3_bind_null(insdue, 6);
                sqlite3_bind_text(insdue, 7, "Chờ chi bộ xét công nhận chính thức", -1, SQLITE_STATIC);
                sqlite3_bind_text(insdue, 8, "2025-12-17", -1, SQLITE_STATIC);
                sqlite3_bind_int64(insdue, 9, t0 + 41 * 86400);
                step_done(insdue);
            } else {
                snprintf(id, sizeof id, "dang-vien-du-bi/dv%07ld", i + 1);
            }
            sqlite3_bind_text(hist, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(hist, 2, "dang-vien-du-bi", -1, SQLITE_STATIC);
            sqlite3_bind_int64(hist, 3, t0);
            sqlite3_bind_text(hist, 4, "transition", -1, SQLITE_STATIC);
            sqlite3_bind_text(hist, 5, record, (int)rb, SQLITE_STATIC);
            step_done(hist);
            last_seq = sqlite3_last_insert_rowid(db);
        }
        if (daemon && !log_mode && !hot) {
            /* The count tables: the old state's row of each group down by one, the new state's up by one. */
            for (long j = 0; j < m; j++) {
                long i = done + j;
                char grp[64];
                snprintf(grp, sizeof grp, "Chi bộ số %ld – Phường %04ld", i % 7 + 1, i % 3321 + 1);
                for (int side = 0; side < 2; side++) {
                    sqlite3_bind_text(upcount, 1, side ? "cho-xet" : "du-bi", -1, SQLITE_STATIC);
                    sqlite3_bind_text(upcount, 2, grp, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int(upcount, 3, side ? 1 : -1);
                    step_done(upcount);
                }
            }
            for (int side = 0; side < 2; side++) {
                sqlite3_bind_text(upwfcount, 1, side ? "cho-xet" : "du-bi", -1, SQLITE_STATIC);
                sqlite3_bind_int64(upwfcount, 2, side ? m : -m);
                step_done(upwfcount);
            }
        }
        exec("COMMIT");
        free(ids);
        done += m;
    }
    if (daemon) {
        /* The last batch's records marked sent, as the daemon does when its loop goes idle. */
        exec("BEGIN IMMEDIATE");
        sqlite3_bind_int64(mark, 1, last_seq);
        step_done(mark);
        exec("COMMIT");
        sqlite3_finalize(mark);
    }
    double elapsed = now() - start;
    printf("%.6f\n", elapsed);
    sqlite3_close(db);
    return 0;
}
