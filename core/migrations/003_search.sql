-- Full-text search over records. Chinese has no spaces, so the text is segmented
-- before it reaches FTS5: runs of Han characters become overlapping bigrams in
-- `grams` (two-character names like 刘凤 match whole) and single characters in
-- `unigrams`; other text passes through the unicode61 tokenizer as words.
-- rowid = documents.id
CREATE VIRTUAL TABLE search_index USING fts5 (
    grams,
    unigrams,
    tokenize = 'unicode61 remove_diacritics 2'
);
