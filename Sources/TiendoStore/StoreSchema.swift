import GRDB

/// The schema: every migration, in order. Never edit a registered migration: existing databases ran it already.
extension Store {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE definitions (
                        digest TEXT PRIMARY KEY, workflow TEXT NOT NULL, file TEXT NOT NULL, source BLOB NOT NULL,
                        loaded_at INTEGER NOT NULL);
                    CREATE TABLE instances (
                        id TEXT PRIMARY KEY, workflow TEXT NOT NULL, state TEXT, data TEXT NOT NULL,
                        started_at INTEGER NOT NULL, entered_at INTEGER NOT NULL, done TEXT NOT NULL DEFAULT '{}',
                        completed INTEGER NOT NULL DEFAULT 0, digest TEXT NOT NULL, marks TEXT NOT NULL DEFAULT '{}',
                        checked_at INTEGER NOT NULL, next_wakeup INTEGER, grp TEXT, stale INTEGER NOT NULL DEFAULT 0,
                        due_sig INTEGER);
                    CREATE INDEX instances_wakeup ON instances(next_wakeup) WHERE next_wakeup IS NOT NULL;
                    CREATE INDEX instances_workflow_state ON instances(workflow, state);
                    CREATE TABLE due_items (
                        instance TEXT NOT NULL, deadline TEXT NOT NULL, workflow TEXT NOT NULL, grp TEXT, state TEXT,
                        milestone TEXT, title TEXT NOT NULL, due TEXT NOT NULL, due_end INTEGER NOT NULL,
                        PRIMARY KEY (instance, deadline)) WITHOUT ROWID;
                    CREATE INDEX due_items_end ON due_items(due_end);
                    CREATE TABLE history (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT, workflow TEXT NOT NULL, at INTEGER NOT NULL,
                        kind TEXT NOT NULL, record TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
                    CREATE INDEX history_instance ON history(instance, seq);
                    CREATE INDEX history_unsent ON history(seq) WHERE sent = 0;
                    CREATE TABLE idempotency (
                        instance TEXT NOT NULL, key TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (instance, key)) WITHOUT ROWID;
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        m.registerMigration("v2") { db in
            // GetStatus, the status files, limits and start-up read these counts per (workflow, group, state, completed,
            // version, stale) — and, for GetStatus, without the group — instead of grouping every instance row (4.5 s
            // at 10^6 instances); triggers kept them exact inside the writing transaction (the commit does since v7; a group commit writes its
            // requests' moves just before it commits, and its limit counts add them). A NULL state or group is
            // stored as '' (state names are never empty). The (workflow, due_end) index answers "next item of each
            // workflow" without scanning every future item. The due_end index becomes a covering one: Agenda and the
            // overdue counts read items in due order without a lookup into the table per item (31,000 of them for
            // the 7-day agenda at 10^6 instances).
            let key = "workflow, digest, stale, state, grp, completed"
            let wfKey = "workflow, digest, stale, state, completed"
            func bump(_ row: String, _ delta: String) -> String {
                """
                INSERT INTO counts(\(key), n)
                    VALUES (\(row).workflow, \(row).digest, \(row).stale, IFNULL(\(row).state, ''), IFNULL(\(row).grp, ''), \(row).completed, \(delta))
                    ON CONFLICT(\(key)) DO UPDATE SET n = n + (\(delta));
                INSERT INTO workflow_counts(\(wfKey), n)
                    VALUES (\(row).workflow, \(row).digest, \(row).stale, IFNULL(\(row).state, ''), \(row).completed, \(delta))
                    ON CONFLICT(\(wfKey)) DO UPDATE SET n = n + (\(delta));
                """
            }
            try db.execute(
                sql: """
                    CREATE TABLE counts (
                        workflow TEXT NOT NULL, digest TEXT NOT NULL, stale INTEGER NOT NULL, state TEXT NOT NULL,
                        grp TEXT NOT NULL, completed INTEGER NOT NULL, n INTEGER NOT NULL,
                        PRIMARY KEY (workflow, grp, state, completed, digest, stale)) WITHOUT ROWID;
                    INSERT INTO counts(\(key), n)
                        SELECT workflow, digest, stale, IFNULL(state, ''), IFNULL(grp, ''), completed, COUNT(*) FROM instances
                        GROUP BY 1, 2, 3, 4, 5, 6;
                    CREATE TABLE workflow_counts (
                        workflow TEXT NOT NULL, digest TEXT NOT NULL, stale INTEGER NOT NULL, state TEXT NOT NULL,
                        completed INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (\(wfKey))) WITHOUT ROWID;
                    INSERT INTO workflow_counts(\(wfKey), n)
                        SELECT workflow, digest, stale, state, completed, SUM(n) FROM counts GROUP BY 1, 2, 3, 4, 5;
                    CREATE TRIGGER counts_insert AFTER INSERT ON instances BEGIN \(bump("NEW", "1")) END;
                    CREATE TRIGGER counts_update AFTER UPDATE OF \(key) ON instances
                    WHEN OLD.workflow IS NOT NEW.workflow OR OLD.digest IS NOT NEW.digest OR OLD.stale IS NOT NEW.stale
                        OR OLD.state IS NOT NEW.state OR OLD.grp IS NOT NEW.grp OR OLD.completed IS NOT NEW.completed
                    BEGIN \(bump("OLD", "-1")) \(bump("NEW", "1")) END;
                    CREATE TRIGGER counts_delete AFTER DELETE ON instances BEGIN \(bump("OLD", "-1")) END;
                    CREATE INDEX due_items_workflow_end ON due_items(workflow, due_end);
                    DROP INDEX due_items_end;
                    CREATE INDEX due_items_by_end ON due_items(due_end, instance, deadline, workflow, grp, state, milestone, title, due);
                    """)
        }
        m.registerMigration("v3") { db in
            // Recurring milestones: each instance's series (anchor, first and next index, open occurrences) is engine
            // state that cannot be recomputed (format §10 "Recurring milestones", rules 3 and 5).
            try db.execute(sql: "ALTER TABLE instances ADD COLUMN series TEXT NOT NULL DEFAULT '{}'")
        }
        m.registerMigration("v4") { db in
            // Rows of an import sent in several calls (`ImportInstances` with `importID`), kept until its last call
            // commits them all or rejects them all. Sessions do not outlive the daemon (cleared at start).
            try db.execute(
                sql: """
                    CREATE TABLE import_sessions (
                        import_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, rows INTEGER NOT NULL, touched_at INTEGER NOT NULL);
                    CREATE TABLE import_rows (
                        import_id TEXT NOT NULL, row INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (import_id, row)) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v5", migrate: Store.migrateV5)
        m.registerMigration("v6", migrate: Store.migrateV6)
        m.registerMigration("front-end-1") { db in
            // tiendo-web's lists of one chi bộ (vn.tiendo.Extras.Instances with groups) read by group in id order
            // instead of scanning every instance.
            try db.execute(sql: "CREATE INDEX instances_grp ON instances(grp, id)")
        }
        m.registerMigration("v7-counts-in-commit") { db in
            // The per-(workflow, group, state) counts are kept by `Transaction.commit`, one upsert per key a
            // commit changed, instead of by row triggers: the triggers were 34 % of the firing SQL run from C
            // (two upserts into each count table per state change, and a trigger program per row). The delete
            // trigger stays for rows removed by hand; the daemon never deletes instances.
            try db.execute(sql: "DROP TRIGGER counts_insert; DROP TRIGGER counts_update")
        }
        m.registerMigration("v8-sent-watermark") { db in
            // History is append-only: what has been sent is one number, `meta.sent_through` (every record up to that
            // sequence number went out), instead of a `sent` mark per row. Records are sent in sequence order, so
            // the number says the same; marking a row sent rewrote its page a second time and kept a partial index
            // (`history_unsent`) in step, two of the dozen B-tree pages a fire or an event wrote. Rows after an
            // older database's first unsent row are sent again at the next start (at least once, never lost). The
            // `sent` column of v1 stays (dropping it rewrites the whole table); nothing reads or writes it since.
            try db.execute(
                sql: """
                    INSERT INTO meta(key, value) VALUES ('sent_through', (SELECT IFNULL(
                        (SELECT MIN(seq) - 1 FROM history WHERE sent = 0), (SELECT IFNULL(MAX(seq), 0) FROM history))))
                        ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                    DROP INDEX history_unsent;
                    """)
        }
        m.registerMigration("v9-hand-deletes") { db in
            // The daemon never deletes an instance, but an operator may, by hand with sqlite3 (the daemon stopped):
            // its due items then stayed in Agenda and on the web page, a new instance under the same id failed on
            // them (UNIQUE constraint on due_items), an old idempotency key of the gone instance would have answered
            // an event of the new one as already applied, and its reminders waiting to be sent still went out. With
            // its row now go its due items and keys, and its notices not yet sent expire with their reason; what
            // earlier deletions left goes the same way now. History stays, and so do the deliveries of its other
            // records: they tell what happened.
            let gone = "hồ sơ đã bị xóa khỏi cơ sở dữ liệu trước khi gửi"
            let expire = """
                UPDATE deliveries SET state = 'expired', finished_at = CAST(strftime('%s', 'now') AS INTEGER), last_error = '\(gone)'
                """
            try db.execute(
                sql: """
                    CREATE TRIGGER instances_delete_dependents AFTER DELETE ON instances BEGIN
                        DELETE FROM due_items WHERE instance = OLD.id;
                        DELETE FROM idempotency WHERE instance = OLD.id;
                        \(expire) WHERE instance = OLD.id AND state = 'pending' AND deadline IS NOT NULL;
                    END;
                    DELETE FROM due_items WHERE NOT EXISTS (SELECT 1 FROM instances WHERE id = due_items.instance);
                    DELETE FROM idempotency WHERE NOT EXISTS (SELECT 1 FROM instances WHERE id = idempotency.instance);
                    \(expire) WHERE state = 'pending' AND deadline IS NOT NULL AND instance IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM instances WHERE id = deliveries.instance);
                    """)
        }
        m.registerMigration("v10-no-workflow-due-index") { db in
            // Every event, fire and import rewrote an entry of `due_items_workflow_end` for each due item it replaced,
            // a B-tree page of a dozen per write (SendEvent at 10^6 instances: 1.10x without it, docs/performance.md).
            // What read it (each workflow's next item, the status files' lists per workflow) reads the daemon's due
            // index in memory (`DueIndexReads`); the web pages' lists of one workflow walk `due_items_by_end`, as
            // those of every workflow do.
            try db.execute(sql: "DROP INDEX IF EXISTS due_items_workflow_end")
        }
        m.registerMigration("v11-delivery-label") { db in
            // A digest lists many people's deadlines: each delivery keeps the name its record's instance goes by
            // (`ho_ten`), written at fan-out, so that the secretary reads «Nguyễn Văn An» rather than an identifier.
            // Rows from before have none and are written as before.
            try db.execute(sql: "ALTER TABLE deliveries ADD COLUMN label TEXT")
        }
        m.registerMigration("v12-delivery-due-at") { db in
            // When a delivery could first be sent (`Delivery.dueAt`): its `not_before` at fan-out, which a retry
            // moves on. Transient failures gave up 3 days after the record's commit, so a weekly digest or a notice
            // held over Tết went dead at its first failed try. Rows not yet tried are due at their `not_before`; the
            // others count from their commit, as before.
            try db.execute(sql: "ALTER TABLE deliveries ADD COLUMN due_at INTEGER")
            try db.execute(sql: "UPDATE deliveries SET due_at = not_before WHERE state IN ('pending', 'inflight') AND attempts = 0")
        }
        m.registerMigration("v13-undo", migrate: Store.migrateUndo)
        m.registerMigration("v14-undo-guard", migrate: Store.migrateUndoGuard)
        m.registerMigration("v15-undo-in-history", migrate: Store.migrateUndoInHistory)
        m.registerMigration("v16-undo-snapshot-index", migrate: Store.migrateUndoSnapshotIndex)
        m.registerMigration("v17-database-id") { db in
            // Which database this is, carried by every copy of it (`VACUUM INTO` copies `meta`): `tiendod --restore`
            // refuses to replace a database that holds cases with a copy of another one (another ward's backup picked
            // by mistake) unless told to. Random, so two wards' databases never share it.
            try db.execute(sql: "INSERT OR IGNORE INTO meta(key, value) VALUES ('database_id', lower(hex(randomblob(8))))")
        }
        // The deliveries a restored database's catch-up must not queue again (`carrySentKeys`); a restore creates it
        // in a copy from before, hence IF NOT EXISTS.
        m.registerMigration("v18-sent-before-restore") { db in try db.execute(sql: Store.sentBeforeRestoreSQL) }
        return m
    }

}
