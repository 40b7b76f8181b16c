-- Photos: content-addressed files in a folder next to the database
-- (<database>.media/ab/<hash>.jpg and <hash>.thumb.jpg), and who refers to them.

CREATE TABLE photos (
    -- BLAKE3 of the stored JPEG, hex.
    hash            TEXT PRIMARY KEY,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    bytes           INTEGER NOT NULL,
    thumb_bytes     INTEGER NOT NULL,
    -- From the camera's EXIF (kept here, not in the stored file).
    taken_at_ms     INTEGER,
    lat             REAL,
    lon             REAL,
    device          TEXT,
    added_at        INTEGER NOT NULL,
    -- Upload: the server has confirmed this many bytes; 1 once the whole file.
    uploaded_bytes  INTEGER NOT NULL DEFAULT 0,
    uploaded        INTEGER NOT NULL DEFAULT 0,
    -- The full-size file was deleted to save space (only after upload).
    full_pruned     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- A photo attached to a record (a patrol log entry, an incident at report or at a
-- transition, a visit, a household or person), in a role such as "report",
-- "before", "after".
CREATE TABLE photo_refs (
    hash       TEXT NOT NULL REFERENCES photos (hash),
    record_id  TEXT NOT NULL,
    role       TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (hash, record_id, role)
) STRICT;
CREATE INDEX photo_refs_record ON photo_refs (record_id);
