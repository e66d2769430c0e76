"""Plain-SQLite experiment: does a smaller page size flatten random-row updates?

A table keyed by (record, field), 10,000 against 1,000,000 rows, in `sync-bench flat`'s shape:
each run updates 1,000 other records 5,000 times in transactions of 500, then checkpoints
(TRUNCATE); the median of three runs. Run: python3 docs/experiments/page-size.py 4096 1024 2048
Python's per-statement overhead is in every figure; compare them with each other only."""
import random, sqlite3, sys, time
import storefile

FIELDS = ["title", "trend", "tier"]

def cost(size, page):
    name = f"page-size-{size}-{page}"
    storefile.remove(name)
    db = sqlite3.connect(storefile.path(name), isolation_level=None)
    db.execute(f"PRAGMA page_size={page}")  # before the file has any page
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL"); db.execute("PRAGMA cache_size=-32768")
    db.execute("PRAGMA wal_autocheckpoint=10000")
    db.execute("CREATE TABLE row (record BLOB NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (record, field)) WITHOUT ROWID")
    rnd = random.Random(7)
    records = [rnd.randbytes(16) for _ in range(size // 3)]
    db.execute("BEGIN")
    db.executemany("INSERT INTO row VALUES (?,?,?,0)", ((r, f, "Cell %s %d" % (f, i)) for i, r in enumerate(records) for f in FIELDS))
    db.execute("COMMIT"); db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rnd.shuffle(records)
    costs = []
    for run in range(3):
        touched = records[run * 1000:(run + 1) * 1000] or records
        start = time.perf_counter()
        for first in range(0, 5000, 500):
            db.execute("BEGIN")
            for i in range(first, first + 500):
                db.execute("UPDATE row SET value=?, time=? WHERE record=? AND field=?", ("Bob %d.%d" % (run, i), i, touched[i % len(touched)], FIELDS[i % 3]))
            db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        costs.append((time.perf_counter() - start) * 1e6 / 5000)
    db.close()
    storefile.remove(name)
    return sorted(costs)[1]

for page in [int(p) for p in sys.argv[1:]] or [4096, 1024]:
    small, large = cost(10000, page), cost(1000000, page)
    print("page %5d: 10k %.1f us, 1M %.1f us, ratio %.2f" % (page, small, large, large / small), flush=True)
