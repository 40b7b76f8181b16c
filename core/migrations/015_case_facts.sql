-- The facts statistics and assessment count, kept in each incident's query row
-- whenever the record changes (see assessment::CaseRow::of), so that a county's
-- figures over a period read rows and open no document: when it was accepted,
-- which units were urged about it and which sent it back (unit codes, one per
-- line), and whether its latest verification came in time (NULL: never verified).
-- follow_up now holds an older record's own answer too when no call gave one.
ALTER TABLE incidents ADD COLUMN accepted_at INTEGER;
ALTER TABLE incidents ADD COLUMN urged_units TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN returned_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN verified_on_time INTEGER;
CREATE INDEX incidents_reported ON incidents (reported_at);

-- Each home visit recorded on a household, rewritten with the household's row:
-- visits over a period are counted from here.
CREATE TABLE household_visits (
    doc      INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    visitor  TEXT NOT NULL,
    at       INTEGER NOT NULL
) STRICT;
CREATE INDEX household_visits_doc ON household_visits (doc);
CREATE INDEX household_visits_at ON household_visits (at);
