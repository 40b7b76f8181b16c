-- Households and persons filled through forms: completeness, problem counts,
-- visits, list filters and exact lookups by ID-card number and phone.

-- The digest of reference data kept whole, so compiled forms can be cached.
ALTER TABLE reference_blobs ADD COLUMN digest BLOB;

ALTER TABLE households ADD COLUMN form_version INTEGER;
ALTER TABLE households ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;
-- Problems against the form in force (missing required fields, wrong values).
ALTER TABLE households ADD COLUMN problems INTEGER NOT NULL DEFAULT 0;
ALTER TABLE households ADD COLUMN last_visit_at INTEGER;
ALTER TABLE households ADD COLUMN visits INTEGER NOT NULL DEFAULT 0;
-- Keyed hash of the head's phone: an exact lookup without storing it in the clear.
ALTER TABLE households ADD COLUMN phone_hash BLOB;
CREATE INDEX households_last_visit ON households (grid_code, last_visit_at);
CREATE INDEX households_phone ON households (phone_hash) WHERE phone_hash IS NOT NULL;

ALTER TABLE persons ADD COLUMN form_version INTEGER;
ALTER TABLE persons ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN problems INTEGER NOT NULL DEFAULT 0;
ALTER TABLE persons ADD COLUMN id_hash BLOB;
ALTER TABLE persons ADD COLUMN phone_hash BLOB;
CREATE INDEX persons_id_hash ON persons (id_hash) WHERE id_hash IS NOT NULL;
CREATE INDEX persons_phone ON persons (phone_hash) WHERE phone_hash IS NOT NULL;

-- Values of the fields a form marks as list filters (one row per chosen code).
CREATE TABLE record_facets (
    field  TEXT NOT NULL,
    value  TEXT NOT NULL,
    doc    INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    PRIMARY KEY (field, value, doc)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_facets_doc ON record_facets (doc);
