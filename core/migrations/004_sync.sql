-- Sync bookkeeping on the phone.

-- Heads the server is known to hold; a document whose heads differ has changes
-- to push.
ALTER TABLE documents ADD COLUMN synced_heads BLOB NOT NULL DEFAULT x'';

-- One row: where pulls stand and how the last sync went.
CREATE TABLE sync_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    cursor        BLOB,
    last_attempt  INTEGER,
    last_success  INTEGER,
    last_error    TEXT
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

-- Pushes the server refused, with the heads refused: not pushed again until the
-- record changes.
CREATE TABLE sync_rejections (
    doc_id  TEXT PRIMARY KEY,
    heads   BLOB NOT NULL,
    code    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
