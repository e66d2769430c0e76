"""Plain-SQLite experiment: the server's version and field tables keyed by UUID text vs integer record ids.

Same schema and workload shape as sync-bench server-merge (200,000 versions, 2,000 per
transaction, 20,000 records, four fields). Run: python3 docs/experiments/integer-keys.py text int
Python's per-statement overhead is in both figures; compare them with each other only."""
import os, random, sys, time, uuid
import storefile
def run(mode, n=200000, batch=2000, nrec=20000):
    db=storefile.fresh(f"integer-keys-{mode}")
    rt = "TEXT" if mode=="text" else "INTEGER"
    db.executescript(f"""
    CREATE TABLE version (replica INTEGER NOT NULL, counter INTEGER NOT NULL, record {rt} NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL,
      context TEXT NOT NULL, value TEXT NOT NULL, author TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (replica, counter)) WITHOUT ROWID;
    CREATE INDEX version_by_field ON version(record, field, replica, counter);
    CREATE TABLE field (record {rt} NOT NULL, name TEXT NOT NULL, joined TEXT NOT NULL, heads TEXT NOT NULL, value TEXT NOT NULL, conflict TEXT, PRIMARY KEY (record, name)) WITHOUT ROWID;
    """)
    random.seed(1)
    recs=[str(uuid.UUID(int=random.getrandbits(128))) for _ in range(nrec)]
    fields=["title","trend","tier","number"]
    rep=str(uuid.uuid4())
    t=time.time()
    for b in range(n//batch):
        db.execute("BEGIN")
        for i in range(batch):
            c=b*batch+i+1
            r=random.randrange(nrec)
            key = recs[r] if mode=="text" else r+1
            f=fields[c%4]
            db.execute("INSERT INTO version VALUES (?,?,?,?,?,?,?,?,?)",(c%10+1,c,key,"cell",f,rep+":%d"%(c-1),'"Cell title %d"'%c,"alice",c))
            db.execute("INSERT INTO field VALUES (?,?,?,?,?,NULL) ON CONFLICT(record,name) DO UPDATE SET joined=excluded.joined, heads=excluded.heads, value=excluded.value",(key,f,rep+":%d"%c,rep+":%d"%c,'"Cell title %d"'%c))
        db.execute("COMMIT")
    el=time.time()-t
    print(mode, n, "versions", round(n/el), "/s", os.path.getsize(storefile.path(f"integer-keys-{mode}"))//1024//1024, "MB")
    db.close()
    storefile.remove(f"integer-keys-{mode}")
for m in sys.argv[1:] or ["text", "int"]: run(m)
