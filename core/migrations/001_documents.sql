-- Record documents (Automerge) and the query tables derived from them.
-- The document bytes are the truth; every query table is rewritten from the
-- document in the same transaction that stores it.

-- Per-device settings, such as this device's random id.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per record: its compacted document and derived columns for scoping.
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    doc_id      TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('household', 'person', 'incident', 'patrol_log')),
    grid_code   TEXT NOT NULL,
    title       TEXT NOT NULL,
    -- Automerge `save()` output: every change up to the last compaction.
    snapshot    BLOB NOT NULL,
    -- Current heads: 32-byte change hashes, concatenated.
    heads       BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_kind_grid ON documents (kind, grid_code);

-- Changes made or received since the document's snapshot; folded into the
-- snapshot when they pile up.
CREATE TABLE doc_changes (
    id     INTEGER PRIMARY KEY,
    doc    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    hash   BLOB NOT NULL,
    bytes  BLOB NOT NULL,
    UNIQUE (doc, hash)
) STRICT;

-- Query tables, one per record kind.
CREATE TABLE households (
    doc           INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    grid_code     TEXT NOT NULL,
    address       TEXT NOT NULL,
    head_name     TEXT NOT NULL,
    door_plate    TEXT,
    status        TEXT NOT NULL,
    member_count  INTEGER NOT NULL
) STRICT;
CREATE INDEX households_grid ON households (grid_code);
CREATE INDEX households_door_plate ON households (door_plate);

CREATE TABLE persons (
    doc           INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    grid_code     TEXT NOT NULL,
    household_id  TEXT,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL
) STRICT;
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_grid ON persons (grid_code);

CREATE TABLE incidents (
    doc           INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    grid_code     TEXT NOT NULL,
    category      TEXT NOT NULL,
    reporter_id   TEXT NOT NULL,
    reported_at   INTEGER NOT NULL,
    transitions   INTEGER NOT NULL
) STRICT;
CREATE INDEX incidents_grid ON incidents (grid_code, reported_at);

CREATE TABLE patrol_logs (
    doc           INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    grid_code     TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    entries       INTEGER NOT NULL
) STRICT;
CREATE INDEX patrol_logs_worker ON patrol_logs (worker_id, started_at);
