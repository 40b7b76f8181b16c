-- An incident's urgency and intake channel in its query row: the queue shortens
-- deadlines by urgency and lists the channel. Rebuilt from the documents after
-- this step.
ALTER TABLE incidents ADD COLUMN urgency TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE incidents ADD COLUMN channel TEXT NOT NULL DEFAULT 'grid_worker';

-- The units that handle incidents (platforms and departments), for their names
-- on the phone; membership is written into staff_roles as the handler's role.
CREATE TABLE work_units (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    within  TEXT NOT NULL
) STRICT;
