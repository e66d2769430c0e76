"""Plain-SQLite experiment: how fast SQLite alone runs the server's writes for `sync-bench server-merge`.

The server store's schema (version table with its field index, feed, record, field), and per
transaction what one client's push of 20,000 versions writes: 2,000 records, 20,000 version rows,
20,000 feed rows, 8,000 field upserts. Ten transactions, no merging, values made before timing.
Variants leave one part out: full, nofeed, noversion, nofield, nobyfield; `plain` is the bench's
reference (200,000 rows into a plain table). Run:
    python3 docs/experiments/server-writes.py plain full nofeed noversion nofield nobyfield
For instruction counts run one variant per process under `perf stat -e instructions:u`.
Python's per-row cost is in every figure; compare them with each other only."""
import random, sys, time, uuid
import storefile
from storefile import UPSERT

SCHEMA = """
CREATE TABLE replica (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, counter INTEGER NOT NULL DEFAULT 0);
CREATE TABLE feed (seq INTEGER PRIMARY KEY, replica INTEGER NOT NULL, counter INTEGER NOT NULL, chain INTEGER NOT NULL);
CREATE TABLE record (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE version (replica INTEGER NOT NULL, counter INTEGER NOT NULL, record INTEGER NOT NULL, kind TEXT NOT NULL,
  field TEXT NOT NULL, context TEXT NOT NULL, value TEXT NOT NULL, author TEXT NOT NULL, time INTEGER NOT NULL,
  PRIMARY KEY (replica, counter)) WITHOUT ROWID;
CREATE TABLE field (record INTEGER NOT NULL, name TEXT NOT NULL, joined TEXT NOT NULL, heads TEXT NOT NULL,
  value TEXT NOT NULL, conflict TEXT, PRIMARY KEY (record, name)) WITHOUT ROWID;
CREATE INDEX record_by_kind ON record(kind, uuid);
CREATE INDEX field_by_conflict ON field(conflict) WHERE conflict IS NOT NULL;
CREATE INDEX field_cell_number ON field(value, record) WHERE name = 'number';
"""
BY_FIELD = "CREATE INDEX version_by_field ON version(record, field, replica, counter);"

def fresh(name):
    return storefile.fresh(f"server-writes-{name}")

def server(variant, clients=10, per_client=20000):
    db = fresh(variant)
    db.executescript(SCHEMA + ("" if variant == "nobyfield" else BY_FIELD))
    rnd = random.Random(1)
    names = ["title", "trend", "tier", "number"]
    pushes, seq, record_id = [], 0, 0
    for client in range(clients):
        replica = client + 1
        records = list(range(record_id + 1, record_id + per_client // 10 + 1)); record_id += len(records)
        record_rows = [(str(uuid.UUID(int=rnd.getrandbits(128))), "cell") for _ in records]
        versions, feed, fields = [], [], {}
        for counter in range(1, per_client + 1):
            record, name = records[rnd.randrange(len(records))], names[counter % 4]
            context, value = bytes([replica, counter % 256, 0, 0]), '"Cell title %d"' % counter
            versions.append((replica, counter, record, "cell", name, context, value, "analyst%d" % client, 123456789))
            seq += 1
            feed.append((seq, replica, counter, seq * 7919))
            fields[(record, name)] = (context, context, value)
        pushes.append((replica, record_rows, versions, feed, [(r, n) + state for (r, n), state in fields.items()]))
    start = time.perf_counter()
    for replica, record_rows, versions, feed, fields in pushes:
        db.execute("BEGIN")
        db.execute("INSERT INTO replica (uuid, counter) VALUES (?, 0)", (str(replica),))
        db.executemany("INSERT INTO record (uuid, kind, deleted) VALUES (?, ?, 0)", record_rows)
        if variant != "noversion":
            db.executemany("INSERT INTO version VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", versions)
        if variant != "nofeed":
            db.executemany("INSERT INTO feed VALUES (?, ?, ?, ?)", feed)
        if variant != "nofield":
            db.executemany(UPSERT, fields)
        db.execute("UPDATE replica SET counter = ? WHERE id = ?", (len(versions), replica))
        db.execute("COMMIT")
    return time.perf_counter() - start, clients * per_client

def plain(count=200000):
    db = fresh("plain")
    db.execute("CREATE TABLE row (record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL)")
    rnd = random.Random(1)
    records = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(count // 10)]
    rows = [(records[rnd.randrange(len(records))], "title", "Cell title %d" % i, 0) for i in range(count)]
    start = time.perf_counter()
    db.execute("BEGIN"); db.executemany("INSERT INTO row VALUES (?, ?, ?, ?)", rows); db.execute("COMMIT")
    return time.perf_counter() - start, count

for variant in sys.argv[1:] or ["plain", "full"]:
    seconds, rows = plain() if variant == "plain" else server(variant)
    print(f"{variant:10s} {seconds:6.3f} s  {rows / seconds:10,.0f} versions/s")
