"""Plain-SQLite experiment: how fast SQLite alone runs a replica's single write (`cell set`).

Per transaction, what `Replica.write` of one change runs, on the replica schema: the meta flag
read, the replica row read, the record lookup (a new record is inserted, as for most of
`sync-bench local-writes`' single writes), the field state read, the version insert, the
replica counter update, the field upsert and the `_deleted` read. Variants leave parts out:
`noreads` (writes only), `nocounter` (no replica counter update), `norecord` (no record row).
`log` is the design a target of 1/2 would need: the same reads, then one row appended to a
`pending` table, emptied every 64 writes as a fold would (the fold's own work is not done).
`plain` is the bench's reference (one insert into a plain table in its own transaction).
    python3 docs/experiments/single-writes.py plain full noreads nocounter norecord log
Python's cost per statement is in every figure; compare them with each other only."""
import random, sys, time, uuid
import storefile
from storefile import UPSERT

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE replica (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, counter INTEGER NOT NULL DEFAULT 0);
CREATE TABLE record (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE version (replica INTEGER NOT NULL, counter INTEGER NOT NULL, record INTEGER NOT NULL, kind TEXT NOT NULL,
  field TEXT NOT NULL, context BLOB NOT NULL, value TEXT NOT NULL, author TEXT NOT NULL, time INTEGER NOT NULL,
  PRIMARY KEY (replica, counter)) WITHOUT ROWID;
CREATE INDEX version_by_field ON version(record, field, replica, counter);
CREATE TABLE field (record INTEGER NOT NULL, name TEXT NOT NULL, joined BLOB NOT NULL, heads BLOB NOT NULL,
  value TEXT NOT NULL, conflict TEXT, PRIMARY KEY (record, name)) WITHOUT ROWID;
CREATE INDEX record_by_kind ON record(kind, uuid);
CREATE INDEX field_by_conflict ON field(conflict) WHERE conflict IS NOT NULL;
CREATE INDEX field_cell_number ON field(value, record) WHERE name = 'number';
"""

def fresh(name):
    return storefile.fresh(f"single-writes-{name}")

def changes(count):
    rnd = random.Random(1)
    records = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(count * 25 // 10)]
    names = ["title", "trend", "tier", "number"]
    return [(records[rnd.randrange(len(records))], names[i % 4], '"Cell title %d"' % i) for i in range(count)]

def replica(variant, count):
    db = fresh(variant)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO meta VALUES ('replica_id', 'x')")
    db.execute("INSERT INTO replica (uuid, counter) VALUES ('me', 0)")
    rows = changes(count)
    reads = variant != "noreads"
    start = time.perf_counter()
    for index, (record, name, value) in enumerate(rows):
        db.execute("BEGIN")
        if reads:
            db.execute("SELECT value FROM meta WHERE key = 'fields_pending'").fetchone()
            db.execute("SELECT id, counter FROM replica WHERE uuid = 'me'").fetchone()
        found = db.execute("SELECT id, kind FROM record WHERE uuid = ?", (record,)).fetchone() if variant != "norecord" else None
        if found is None:
            if variant == "norecord":
                row = 1
            else:
                db.execute("INSERT INTO record (uuid, kind, deleted) VALUES (?, 'cell', 0)", (record,))
                row = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        else:
            row = found[0]
        if reads:
            db.execute("SELECT joined, heads, conflict FROM field WHERE record = ? AND name = ?", (row, name)).fetchone()
        clock = bytes([1, index % 256, 0, 0])
        db.execute("INSERT INTO version VALUES (1, ?, ?, 'cell', ?, ?, ?, 'analyst', 123456789)", (index + 1, row, name, clock, value))
        if variant != "nocounter":
            db.execute("UPDATE replica SET counter = ? WHERE id = 1", (index + 1,))
        db.execute(UPSERT, (row, name, clock, clock, value))
        if reads:
            db.execute("SELECT conflict, value FROM field WHERE record = ? AND name = '_deleted'", (row,)).fetchone()
        db.execute("COMMIT")
    return time.perf_counter() - start, count

def log(count, fold_every=64):
    db = fresh("log")
    db.executescript(SCHEMA)
    db.execute("""CREATE TABLE pending (counter INTEGER PRIMARY KEY, record TEXT NOT NULL, kind TEXT NOT NULL,
        field TEXT NOT NULL, context BLOB NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL)""")
    db.execute("INSERT INTO replica (uuid, counter) VALUES ('me', 0)")
    rows = changes(count)
    start = time.perf_counter()
    for index, (record, name, value) in enumerate(rows):
        db.execute("BEGIN")
        db.execute("SELECT value FROM meta WHERE key = 'fields_pending'").fetchone()
        db.execute("SELECT id, counter FROM replica WHERE uuid = 'me'").fetchone()
        db.execute("SELECT max(counter) FROM pending").fetchone()
        found = db.execute("SELECT id, kind FROM record WHERE uuid = ?", (record,)).fetchone()
        if found:
            db.execute("SELECT joined, heads, conflict FROM field WHERE record = ? AND name = ?", (found[0], name)).fetchone()
        db.execute("SELECT counter, kind FROM pending WHERE record = ? AND field = ?", (record, name)).fetchall()
        db.execute("INSERT INTO pending VALUES (?, ?, 'cell', ?, ?, ?, 0)", (index + 1, record, name, bytes([1, index % 256, 0, 0]), value))
        db.execute("COMMIT")
        if (index + 1) % fold_every == 0:
            db.execute("DELETE FROM pending")
    return time.perf_counter() - start, count

def plain(count):
    db = fresh("plain")
    db.execute("CREATE TABLE row (record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL)")
    rows = changes(count)
    start = time.perf_counter()
    for record, name, value in rows:
        db.execute("BEGIN")
        db.execute("INSERT INTO row VALUES (?, ?, ?, 0)", (record, name, value))
        db.execute("COMMIT")
    return time.perf_counter() - start, count

if __name__ == "__main__":
    count = 2000
    for variant in sys.argv[1:]:
        run = {"plain": plain, "log": log}.get(variant, lambda count: replica(variant, count))
        runs = sorted(run(count)[0] for _ in range(5))
        seconds = runs[2]
        print(f"{variant:10} {count / seconds:10,.0f} writes/s")
