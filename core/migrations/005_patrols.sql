-- Patrol sessions and their GPS tracks. The patrol log is a document (documents,
-- kind 'patrol_log', same id); the track is not: accepted fixes are appended to
-- track_open_fixes, one row each, and sealed into encoded chunks.

CREATE TABLE patrols (
    id            TEXT PRIMARY KEY,
    grid_code     TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    travel_mode   TEXT NOT NULL CHECK (travel_mode IN ('walking', 'cycling', 'driving')),
    state         TEXT NOT NULL CHECK (state IN ('active', 'paused', 'stopped')),
    started_at    INTEGER NOT NULL,
    stopped_at    INTEGER,
    -- Fixes accepted so far (the next fix's number) and chunks sealed.
    next_seq      INTEGER NOT NULL DEFAULT 0,
    chunks        INTEGER NOT NULL DEFAULT 0,
    -- Filter state: the last accepted fix's time, and the last fix that counted.
    last_time_ms  INTEGER,
    anchor_time_ms INTEGER,
    anchor_lat_e6 INTEGER,
    anchor_lon_e6 INTEGER,
    -- For the authenticity checks: fixes refused because time went backwards, and
    -- how far fix times ran ahead of the phone's clock at ingestion.
    clock_backwards INTEGER NOT NULL DEFAULT 0,
    max_clock_skew_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX patrols_worker ON patrols (worker_id, started_at);

-- Start, pause, resume, stop.
CREATE TABLE patrol_events (
    patrol  TEXT NOT NULL REFERENCES patrols (id),
    at_ms   INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('start', 'pause', 'resume', 'stop'))
) STRICT;
CREATE INDEX patrol_events_patrol ON patrol_events (patrol, at_ms);

-- Accepted fixes not yet sealed into a chunk.
CREATE TABLE track_open_fixes (
    patrol       TEXT NOT NULL REFERENCES patrols (id),
    seq          INTEGER NOT NULL,
    time_ms      INTEGER NOT NULL,
    lat_e6       INTEGER NOT NULL,
    lon_e6       INTEGER NOT NULL,
    accuracy_m   INTEGER NOT NULL,
    altitude_m   INTEGER,
    speed_cms    INTEGER,
    bearing_dd   INTEGER,
    provider     INTEGER NOT NULL,
    flags        INTEGER NOT NULL,
    PRIMARY KEY (patrol, seq)
) STRICT, WITHOUT ROWID;

-- Sealed chunks (codec: patrol::codec), numbered from 0 per patrol.
CREATE TABLE track_chunks (
    patrol     TEXT NOT NULL REFERENCES patrols (id),
    chunk      INTEGER NOT NULL,
    first_seq  INTEGER NOT NULL,
    fixes      INTEGER NOT NULL,
    first_ms   INTEGER NOT NULL,
    last_ms    INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    uploaded   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (patrol, chunk)
) STRICT;
