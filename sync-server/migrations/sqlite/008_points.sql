-- Adjustments of grid workers' points (以奖代补): who changed whose points by how
-- much and why. Points earned from records are computed, never stored; these
-- rows are the only points a person adds by hand, and are never edited.
CREATE TABLE point_adjustments (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id  TEXT NOT NULL,
    at        INTEGER NOT NULL,
    points    REAL NOT NULL,
    reason    TEXT NOT NULL,
    by_user   TEXT NOT NULL
) STRICT;
CREATE INDEX point_adjustments_staff ON point_adjustments (staff_id, at);
