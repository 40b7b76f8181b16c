-- The sync server's PostgreSQL store (several stateless server instances share it).

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
    created_at    BIGINT NOT NULL,
    decided_at    BIGINT,
    last_sync_at  BIGINT
);
CREATE INDEX accounts_status ON accounts (status, created_at);

CREATE TABLE admins (
    token_hash  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE reference_data (
    what     TEXT PRIMARY KEY,
    version  BIGINT NOT NULL,
    body     TEXT NOT NULL
);

CREATE TABLE documents (
    doc_id      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    grid_code   TEXT NOT NULL,
    data        BYTEA NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX documents_grid ON documents (grid_code, doc_id);

-- Sequence numbers come from this counter, updated inside the writing
-- transaction: its row lock makes numbers commit in order, so a reader never sees
-- 101 before 100 (a PostgreSQL SEQUENCE would not guarantee that).
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE changes (
    seq        BIGINT PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    grid_code  TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    origin     TEXT NOT NULL
);
CREATE INDEX changes_grid_seq ON changes (grid_code, seq);
