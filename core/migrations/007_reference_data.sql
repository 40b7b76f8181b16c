-- Reference data kept whole as JSON (the category catalogue; forms come later),
-- one current version of each.
CREATE TABLE reference_blobs (
    what     TEXT PRIMARY KEY,
    version  INTEGER NOT NULL,
    body     TEXT NOT NULL
) STRICT;
