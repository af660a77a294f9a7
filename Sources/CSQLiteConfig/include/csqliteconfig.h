#ifndef TIENDO_CSQLITECONFIG_H
#define TIENDO_CSQLITECONFIG_H
// Process-wide SQLite settings, made through sqlite3_config: a variadic C function, which Swift cannot call.

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS) for the whole process: with them on, every
/// allocation and free SQLite makes takes a global mutex to keep the counts. Returns SQLite's result code: 0
/// (SQLITE_OK), or 21 (SQLITE_MISUSE) once SQLite has been initialized, when it no longer applies.
int tiendo_sqlite_memstatus_off(void);

#endif
