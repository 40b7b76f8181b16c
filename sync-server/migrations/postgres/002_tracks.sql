-- GPS track chunks as phones seal them, kept per worker per day (China time).
CREATE TABLE track_chunks (
    patrol       TEXT NOT NULL,
    chunk        BIGINT NOT NULL,
    worker_id    TEXT NOT NULL,
    grid_code    TEXT NOT NULL,
    day          TEXT NOT NULL,
    first_seq    BIGINT NOT NULL,
    fixes        BIGINT NOT NULL,
    first_ms     BIGINT NOT NULL,
    last_ms      BIGINT NOT NULL,
    bytes        BYTEA NOT NULL,
    hash         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (patrol, chunk)
);
CREATE INDEX track_chunks_worker_day ON track_chunks (worker_id, day);
