-- The replayed workflow state of each incident, kept beside the document (and
-- rewritten with it), so lists by stage and colour need no document loads.
ALTER TABLE incidents ADD COLUMN stage TEXT NOT NULL DEFAULT 'reported';
ALTER TABLE incidents ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN assignee TEXT;
ALTER TABLE incidents ADD COLUMN dispatched_at INTEGER;
ALTER TABLE incidents ADD COLUMN closed_at INTEGER;
ALTER TABLE incidents ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_stage ON incidents (stage, reported_at);
