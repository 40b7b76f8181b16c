-- The knowledge base and the grid task list (知识库, 网格事项准入清单). Every
-- published state of every item is kept (who changed it, when, at which version
-- of the whole base), so a phone at version N gets exactly the items changed
-- after N as they stood at the version it downloads to, and the pages show each
-- item's history. Edits wait as drafts until someone publishes them all as the
-- next version.
CREATE TABLE knowledge_revisions (
    kind     TEXT NOT NULL CHECK (kind IN ('entry', 'task')),
    id       TEXT NOT NULL,
    version  INTEGER NOT NULL,
    item     TEXT NOT NULL,
    author   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (kind, id, version)
) STRICT;
CREATE INDEX knowledge_revisions_version ON knowledge_revisions (version);

CREATE TABLE knowledge_drafts (
    kind     TEXT NOT NULL CHECK (kind IN ('entry', 'task')),
    id       TEXT NOT NULL,
    item     TEXT NOT NULL,
    author   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT;

-- One row per published version: who published it, when, how many items changed.
CREATE TABLE knowledge_versions (
    version  INTEGER PRIMARY KEY,
    author   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    changed  INTEGER NOT NULL
) STRICT;
