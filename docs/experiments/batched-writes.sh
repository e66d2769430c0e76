#!/usr/bin/env bash
# Plain-SQLite experiment: how fast SQLite alone runs a replica's batched write
# (`sync-bench local-writes`, one transaction), with no host language in any figure.
#
# The batch is the bench's: 50,000 register edits of four fields over 5,000 new records. Every
# row is made in SQL from in-memory temporary tables built before timing (the packed versions
# too, as a writer would encode them before storing), so each figure is
# SQLite's own work: the statements' B-tree inserts, the commit and its WAL writes, on a file with
# a store's settings (WAL, synchronous=NORMAL, 32 MiB cache). Variants, all in one transaction:
#   plain        the bench's reference: 50,000 four-column rows appended to a table with no index
#   full         what a replica stores: 5,000 record rows (and their two indexes), 50,000
#                version rows and their field-index entries, 20,000 field-state upserts
#   nobyfield    full without the version table's field index
#   nofield      full without the field states
#   versions     records and version rows only: no field index, no field states
#   chunked      records, the versions packed 64 to a row (about 40 bytes each), field states
#   chunks       records and the packed versions only
# Run (each variant `rounds` times, fresh files, the median total):
#   bash docs/experiments/batched-writes.sh [rounds] [variant ...]
set -euo pipefail
rounds=${1:-5}; shift || true
variants=("${@:-plain full nobyfield nofield versions chunked chunks}")
folder=$(mktemp -d); trap 'rm -rf "$folder"' EXIT

setup() {
  cat <<'SQL'
PRAGMA temp_store = MEMORY;
CREATE TEMP TABLE src_record (idx INTEGER PRIMARY KEY, uuid TEXT NOT NULL);
INSERT INTO src_record SELECT value - 1, lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
  substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))
  FROM generate_series(1, 5000);
CREATE TEMP TABLE src (i INTEGER PRIMARY KEY, rec INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
INSERT INTO src SELECT value, abs(random()) % 5000,
  CASE value % 4 WHEN 0 THEN 'title' WHEN 1 THEN 'trend' WHEN 2 THEN 'tier' ELSE 'number' END,
  CASE value % 4 WHEN 0 THEN '"Cell title ' || value || '"' WHEN 1 THEN '"Improving with execution-tempo variation ' || value || '"'
    WHEN 2 THEN '"Tier ' || (value % 5) || '"' ELSE value END
  FROM generate_series(1, 50000);
CREATE TEMP TABLE last AS SELECT max(i) AS i FROM src GROUP BY rec, field;
CREATE TEMP TABLE src_chunk AS SELECT min(i) AS first,
  CAST(group_concat(char(rec % 256, rec / 256) || field || x'00' || value || x'0102', '') AS BLOB) AS data FROM src GROUP BY i / 64;
PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;
CREATE TABLE replica (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, counter INTEGER NOT NULL DEFAULT 0);
INSERT INTO replica (uuid) VALUES ('r1');
CREATE TABLE record (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX record_by_kind ON record(kind, uuid);
CREATE TABLE version (replica INTEGER NOT NULL, counter INTEGER NOT NULL, record INTEGER NOT NULL, kind TEXT NOT NULL,
  field TEXT NOT NULL, context BLOB NOT NULL, value TEXT NOT NULL, author TEXT NOT NULL, time INTEGER NOT NULL,
  PRIMARY KEY (replica, counter)) WITHOUT ROWID;
CREATE TABLE field (record INTEGER NOT NULL, name TEXT NOT NULL, joined BLOB NOT NULL, heads BLOB NOT NULL,
  value TEXT NOT NULL, conflict TEXT, PRIMARY KEY (record, name)) WITHOUT ROWID;
CREATE INDEX field_by_conflict ON field(conflict) WHERE conflict IS NOT NULL;
CREATE INDEX field_cell_number ON field(value, record) WHERE name = 'number';
CREATE TABLE chunk (replica INTEGER NOT NULL, first INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (replica, first)) WITHOUT ROWID;
CREATE TABLE row (record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL);
SQL
}

# The timed statements of one variant, from BEGIN to COMMIT.
batch() {
  local variant=$1
  case $variant in full|nofield) echo "CREATE INDEX version_by_field ON version(record, field, replica, counter);" ;; esac
  echo ".timer on"
  echo "BEGIN IMMEDIATE;"
  if [ "$variant" = plain ]; then
    echo "INSERT INTO row SELECT r.uuid, s.field, s.value, 0 FROM src s JOIN src_record r ON r.idx = s.rec ORDER BY s.i;"
  else
    echo "INSERT INTO record (uuid, kind) SELECT uuid, 'cell' FROM src_record ORDER BY idx;"
    case $variant in
    chunked|chunks) echo "INSERT INTO chunk SELECT 1, first, data FROM src_chunk ORDER BY first;" ;;
    *) echo "INSERT INTO version SELECT 1, i, rec + 1, 'cell', field, x'0101000000', value, 'analyst', 1234567890 FROM src ORDER BY i;" ;;
    esac
    case $variant in
    full|nobyfield|chunked) echo "INSERT INTO field (record, name, joined, heads, value, conflict)
      SELECT rec + 1, field, x'0101', x'0101', value, NULL FROM src WHERE i IN (SELECT i FROM temp.last) ORDER BY rec, field
      ON CONFLICT (record, name) DO UPDATE SET joined = excluded.joined, heads = excluded.heads, value = excluded.value, conflict = excluded.conflict;" ;;
    esac
  fi
  echo "COMMIT;"
}

# Seconds the timed statements took (the sum of `.timer`'s real times).
timed() {
  rm -f "$folder"/batch.db*
  { setup; batch "$1"; } | sqlite3 "$folder/batch.db" | awk '/^Run Time/ { total += $4 } END { printf "%.4f\n", total }'
}

for variant in ${variants[*]}; do
  times=$(for _ in $(seq "$rounds"); do timed "$variant"; done | sort -n)
  median=$(echo "$times" | sed -n "$(( (rounds + 1) / 2 ))p")
  awk -v v="$variant" -v s="$median" -v all="$(echo $times)" 'BEGIN { printf "%-10s %7.4f s %10.0f rows/s   (%s)\n", v, s, 50000 / s, all }'
done
