-- What the assessment counts of each patrol (hours, coverage, whether its track
-- was found faked), computed from the track once per number of chunks received
-- and kept, so a county's quarter is not decoded again on every page.
CREATE TABLE patrol_briefs (
    patrol      TEXT PRIMARY KEY,
    chunks      INTEGER NOT NULL,
    worker_id   TEXT NOT NULL,
    grid_code   TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    hours       REAL NOT NULL,
    coverage    REAL,
    flagged     INTEGER NOT NULL
) STRICT;
