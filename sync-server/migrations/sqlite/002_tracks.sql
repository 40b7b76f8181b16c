-- GPS track chunks as phones seal them, kept per worker per day (China time).
CREATE TABLE track_chunks (
    patrol       TEXT NOT NULL,
    chunk        INTEGER NOT NULL,
    worker_id    TEXT NOT NULL,
    grid_code    TEXT NOT NULL,
    day          TEXT NOT NULL,
    first_seq    INTEGER NOT NULL,
    fixes        INTEGER NOT NULL,
    first_ms     INTEGER NOT NULL,
    last_ms      INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    hash         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (patrol, chunk)
) STRICT;
CREATE INDEX track_chunks_worker_day ON track_chunks (worker_id, day);
