-- The supervisors' web pages: accounts with passwords and browser sessions.
CREATE TABLE web_users (
    username       TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('supervisor', 'admin')),
    staff_id       TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES web_users (username) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- Patrols of a period (the map, statistics): chunks overlapping a time range.
CREATE INDEX track_chunks_last_ms ON track_chunks (last_ms);
