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

CREATE INDEX track_chunks_day ON track_chunks (day);
