"""What the plain-SQLite experiments share: a fresh file with a store's settings, and the field upsert."""
import os, sqlite3, tempfile

UPSERT = """INSERT INTO field (record, name, joined, heads, value, conflict) VALUES (?, ?, ?, ?, ?, NULL)
  ON CONFLICT (record, name) DO UPDATE SET joined = excluded.joined, heads = excluded.heads,
  value = excluded.value, conflict = excluded.conflict"""

def path(name):
    return os.path.join(tempfile.gettempdir(), f"{name}.db")

def remove(name):
    """Deletes the file `name` names and its WAL, if they exist."""
    for suffix in ("", "-wal", "-shm"):
        try: os.remove(path(name) + suffix)
        except FileNotFoundError: pass

def fresh(name):
    """A new database file in the temporary folder (any old one and its WAL removed), in WAL mode
    with a store's synchronous setting and 32 MiB page cache."""
    remove(name)
    db = sqlite3.connect(path(name), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL"); db.execute("PRAGMA cache_size=-32768")
    return db
