-- Intake from outside the phones: the API keys of 12345 hotline systems (hashed,
-- like device tokens) and the references that make intake idempotent and
-- traceable: a hotline's ticket id, a resident's receipt code, each naming the
-- incident it created. A second call with the same reference creates nothing.
CREATE TABLE intake_keys (
    token_hash  TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE intake_refs (
    ref          TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
