-- The knowledge base and the grid task list as last fully downloaded (see
-- core/src/knowledge/). Written only when a download is complete, so a phone
-- never shows a half-updated set; the version is in reference_versions under
-- 'knowledge'.
CREATE TABLE knowledge_entries (
    row         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    department  TEXT NOT NULL,
    tags        TEXT NOT NULL,
    categories  TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    body        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    author      TEXT NOT NULL,
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX knowledge_entries_department ON knowledge_entries (department, kind, title);

CREATE TABLE knowledge_entry_tags (
    tag   TEXT NOT NULL,
    row   INTEGER NOT NULL REFERENCES knowledge_entries (row) ON DELETE CASCADE,
    PRIMARY KEY (tag, row)
) STRICT, WITHOUT ROWID;

CREATE TABLE knowledge_entry_categories (
    category  TEXT NOT NULL,
    row       INTEGER NOT NULL REFERENCES knowledge_entries (row) ON DELETE CASCADE,
    PRIMARY KEY (category, row)
) STRICT, WITHOUT ROWID;

CREATE TABLE knowledge_tasks (
    id          TEXT PRIMARY KEY,
    department  TEXT NOT NULL,
    item        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    author      TEXT NOT NULL,
    at          INTEGER NOT NULL
) STRICT;

-- Titles, tags and bodies (with the department) segmented as for records
-- (index/search.rs): bigrams and units, each apart so a title match ranks
-- first, then a tag's. rowid = knowledge_entries.row; contentless, since the
-- text is in knowledge_entries.
CREATE VIRTUAL TABLE knowledge_search USING fts5 (
    title_grams,
    title_unigrams,
    tag_grams,
    tag_unigrams,
    body_grams,
    body_unigrams,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- A download in progress: the pages received so far, applied all at once when
-- the last arrives.
CREATE TABLE knowledge_staging (
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    revision  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT;

CREATE TABLE knowledge_download (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    since       INTEGER NOT NULL,
    to_version  INTEGER NOT NULL,
    after       TEXT,
    fetched     INTEGER NOT NULL,
    total       INTEGER NOT NULL
) STRICT;
