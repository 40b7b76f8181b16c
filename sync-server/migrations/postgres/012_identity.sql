-- A random identity made once when the database is created: a read model kept on
-- an instance's disk follows one database, and starts again when it finds
-- another (a database restored, replaced or pointed elsewhere).
CREATE TABLE storage_identity (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value TEXT NOT NULL
);
INSERT INTO storage_identity (id, value)
VALUES (1, md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text));

-- One-time jobs done on this database (a backfill after an upgrade), so no
-- instance does them again at its next start.
CREATE TABLE jobs_done (
    job TEXT PRIMARY KEY,
    at  BIGINT NOT NULL
);
