-- The sync server's embedded store.

-- A person's registration on a device; approved, it is the device's account.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    id_number     TEXT NOT NULL,
    phone         TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    staff_id      TEXT,
    reason        TEXT,
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER,
    last_sync_at  INTEGER
) STRICT;
CREATE INDEX accounts_status ON accounts (status, created_at);

CREATE TABLE admins (
    token_hash  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- Versioned reference data (org tree, forms, catalogue) as JSON.
CREATE TABLE reference_data (
    what     TEXT PRIMARY KEY,
    version  INTEGER NOT NULL,
    body     TEXT NOT NULL
) STRICT;

-- The compacted document of every record.
CREATE TABLE documents (
    doc_id      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    grid_code   TEXT NOT NULL,
    data        BLOB NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_grid ON documents (grid_code, doc_id);

-- The change sequence that phones follow with their cursors.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    grid_code  TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    origin     TEXT NOT NULL
) STRICT;
CREATE INDEX changes_grid_seq ON changes (grid_code, seq);
