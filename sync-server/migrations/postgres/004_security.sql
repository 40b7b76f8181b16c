-- The photos each stored record names, so a photo is shown only to callers whose
-- area holds a record naming it.
CREATE TABLE blob_refs (
    hash    TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    PRIMARY KEY (hash, doc_id)
);

-- Unfinished photo uploads and the device that started each: only it may resume,
-- and an upload left longer than the configured age is removed.
CREATE TABLE uploads (
    hash        TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL,
    started_at  BIGINT NOT NULL
);

-- Failed logins and registrations per key (a user name or a client address), kept
-- in storage so that a restart or a second instance counts the same.
CREATE TABLE attempts (
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX attempts_key_at ON attempts (key, at);
