"""Plain-SQLite experiment: a first sync's version rows with the field index kept as they arrive,
against the index built once after the last page.

One million version rows in transactions of 20,000 (a first sync's pages), each on a random one
of 300,000 records, in (replica, counter) order as the server's feed sends them. `early` keeps
`version_by_field` while inserting; `late` creates it after the last page. Run:
python3 docs/experiments/late-field-index.py early late early late
Python's per-row overhead is in both figures; compare them with each other only."""
import os, random, sys, time
import storefile

def run(mode, n=1000000, batch=20000, nrec=300000):
    db = storefile.fresh(f"late-{mode}")
    db.executescript("""
    CREATE TABLE version (replica INTEGER NOT NULL, counter INTEGER NOT NULL, record INTEGER NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL,
      context BLOB NOT NULL, value TEXT NOT NULL, author TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (replica, counter)) WITHOUT ROWID;
    """)
    index = "CREATE INDEX version_by_field ON version(record, field, replica, counter)"
    if mode == "early": db.execute(index)
    random.seed(1)
    fields = ["title", "trend", "tier", "number", "summary"]
    start = time.time()
    for b in range(n // batch):
        db.execute("BEGIN")
        db.executemany("INSERT INTO version VALUES (?,?,?,?,?,?,?,?,?)",
          [((c % 10) + 1, c, random.randrange(nrec) + 1, "cell", fields[c % 5], b"\x01\x02\x03", '"Cell title %d"' % c, "alice", c)
           for c in range(b * batch + 1, (b + 1) * batch + 1)])
        db.execute("COMMIT")
    inserted = time.time()
    if mode == "late": db.execute(index)
    elapsed = time.time() - start
    print(mode, "inserts %.2f s" % (inserted - start), "total %.2f s" % elapsed, round(n / elapsed), "rows/s",
          os.path.getsize(storefile.path(f"late-{mode}")) // 1024 // 1024, "MB", flush=True)
    db.close()
    storefile.remove(f"late-{mode}")

for m in sys.argv[1:] or ["early", "late"]: run(m)
