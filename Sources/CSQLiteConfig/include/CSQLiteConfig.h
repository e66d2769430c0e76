#ifndef CSQLITECONFIG_H
#define CSQLITECONFIG_H

/// Turns off SQLite's memory statistics for this process (`SQLITE_CONFIG_MEMSTATUS`), so that
/// its allocations take no global mutex. Only takes effect before the process's first SQLite
/// connection; returns SQLite's result code (`SQLITE_MISUSE` when it came too late).
/// `sqlite3_config` is variadic, which Swift cannot call.
int fieldsync_sqlite_disable_memstatus(void);

#endif
