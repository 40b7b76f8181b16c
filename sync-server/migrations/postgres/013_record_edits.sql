-- Who changed which household and person record on which day (the author's
-- clock, China's day), one row per record, author and day, written with the
-- changes as they are accepted: the assessment counts a period's record edits
-- from here instead of opening every record changed. The grid is the record's
-- when the change arrived. Records stored before are noted once by a one-time
-- job (record_edits_backfill).
CREATE TABLE record_edits (
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    grid_code  TEXT NOT NULL,
    author     TEXT NOT NULL,
    day        BIGINT NOT NULL,
    PRIMARY KEY (doc_id, author, day)
);
CREATE INDEX record_edits_day ON record_edits (day);
