-- Who works on an incident and how (领办, 联办, 督办), with each joint part's
-- status and deadline and the unit's open urge (催办), so a unit's task list and
-- the urging list need no document loads. Rebuilt from the documents after this
-- step; `follow_up` is the resident's latest answer (回访).
CREATE TABLE incident_shares (
    doc        INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    unit       TEXT NOT NULL,
    share      TEXT NOT NULL CHECK (share IN ('lead', 'joint', 'supervisor')),
    status     TEXT NOT NULL,
    task       TEXT NOT NULL DEFAULT '',
    due        INTEGER,
    urged_at   INTEGER,
    PRIMARY KEY (doc, unit)
) STRICT;
CREATE INDEX incident_shares_unit ON incident_shares (unit);
ALTER TABLE incidents ADD COLUMN follow_up TEXT;

-- Who acts for which unit, written with the org tree.
CREATE TABLE work_unit_members (
    unit   TEXT NOT NULL,
    staff  TEXT NOT NULL,
    PRIMARY KEY (unit, staff)
) STRICT;

-- The tree stored before this step has no members table: forget its version so
-- the next sync fetches the tree again and fills it (the rest of the tree stays
-- in place until then).
DELETE FROM reference_versions WHERE what = 'org_tree';
