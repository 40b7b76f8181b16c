//! Full-text search over records that works for Chinese.
//!
//! FTS5's unicode61 tokenizer takes a run of Han characters as one token, so 刘凤
//! would never match 刘凤英's address line, and the trigram tokenizer cannot match
//! two-character names at all. Text is therefore segmented here before FTS5 sees it.
//! Both text and query are first NFKC-normalised (full-width ３组 and ＡＦ are 3组
//! and AF) and lower-cased. Then each CJK character is a unit, and so is each run
//! of Latin letters and digits (山口村12组 is 山 口 村 12 组); a run of units
//! without spaces or punctuation becomes its overlapping unit bigrams (column
//! `grams`: 山口 口村 村12 12组) and its units alone (column `unigrams`). A query
//! of two or more units is the phrase of its bigrams, so it matches exactly the
//! records where those units stand side by side (3组 finds 3组, never 5组3号); a
//! query of one unit searches `unigrams` (a word as a prefix).

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::documents::any::AnyRecord;
use crate::documents::storage;
use crate::error::Result;
use crate::records::RecordKind;
use crate::text::normalise;

/// Which records a search looks at.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Only these kinds (all kinds if empty).
    pub kinds: Vec<RecordKind>,
    /// Only records of these grids (all grids if empty). Apps pass the grids the
    /// signed-in user may see.
    pub grid_codes: Vec<String>,
}

/// One record found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The record id.
    pub id: String,
    /// Its kind.
    pub kind: RecordKind,
    /// Its grid.
    pub grid_code: String,
    /// Its label in lists.
    pub title: String,
}

/// Finds records whose names, addresses, door plates or notes contain every word
/// of `query`, best matches first. A query with nothing searchable finds nothing.
pub(crate) fn search(
    conn: &Connection,
    query: &str,
    filter: &SearchFilter,
    limit: usize,
) -> Result<Vec<SearchHit>> {
    let Some(expr) = match_expression(query) else {
        return Ok(Vec::new());
    };
    let kinds: Vec<&str> = filter.kinds.iter().map(|k| k.as_str()).collect();
    let mut stmt = conn.prepare_cached(
        "SELECT d.doc_id, d.kind, d.grid_code, d.title
             FROM search_index s JOIN documents d ON d.id = s.rowid
             WHERE search_index MATCH ?1
               AND (?2 = '[]' OR d.kind IN (SELECT value FROM json_each(?2)))
               AND (?3 = '[]' OR d.grid_code IN (SELECT value FROM json_each(?3)))
             ORDER BY bm25(search_index), d.id
             LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            expr,
            serde_json::to_string(&kinds).unwrap_or_default(),
            serde_json::to_string(&filter.grid_codes).unwrap_or_default(),
            limit as i64
        ],
        |r| {
            let kind: String = r.get(1)?;
            Ok((r.get(0)?, kind, r.get(2)?, r.get(3)?))
        },
    )?;
    let mut hits = Vec::new();
    for row in rows {
        let (id, kind, grid_code, title): (String, String, String, String) = row?;
        if let Ok(kind) = kind.parse() {
            hits.push(SearchHit {
                id,
                kind,
                grid_code,
                title,
            });
        }
    }
    Ok(hits)
}

/// Replaces the search row of document `row` with `text`.
pub(crate) fn index_text(conn: &Connection, row: i64, text: &str) -> Result<()> {
    index_segmented(conn, row, &segment(text))
}

/// Replaces the search row of document `row` with already segmented text.
pub(crate) fn index_segmented(conn: &Connection, row: i64, segmented: &Segmented) -> Result<()> {
    conn.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?
        .execute([row])?;
    conn.prepare_cached("INSERT INTO search_index (rowid, grams, unigrams) VALUES (?1, ?2, ?3)")?
        .execute(params![row, segmented.grams, segmented.unigrams])?;
    Ok(())
}

/// Fills the search index from every stored document (the search migration runs
/// this, so records stored before search existed are found too).
pub(crate) fn rebuild_index(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM search_index", [])?;
    let ids: Vec<String> = tx
        .prepare("SELECT doc_id FROM documents ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        if let Some(loaded) = storage::load(tx, &id)? {
            let record = AnyRecord::hydrate(loaded.kind, &loaded.doc, &id)?;
            index_text(tx, loaded.row, &record.search_text())?;
        }
    }
    Ok(())
}

/// Whether a character belongs to a script written without spaces.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // kana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x3134F) // CJK extensions B–G
}

/// Text prepared for the two FTS columns.
#[derive(Debug, PartialEq)]
pub(crate) struct Segmented {
    /// Unit bigrams (and chains of one unit).
    pub(crate) grams: String,
    /// Single units.
    pub(crate) unigrams: String,
}

/// A unit of search: one CJK character, or one run of letters and digits.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// The chains of units of normalised text: units side by side, with no space or
/// punctuation between them.
pub(crate) fn chains(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut chain: Vec<&str> = Vec::new();
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            chain.push(&text[start..i]);
        }
        if is_cjk(c) {
            chain.push(&text[i..i + c.len_utf8()]);
        } else if !chain.is_empty() {
            out.push(std::mem::take(&mut chain));
        }
    }
    if let Some(start) = word_start {
        chain.push(&text[start..]);
    }
    if !chain.is_empty() {
        out.push(chain);
    }
    out
}

/// The unit bigrams of a chain (a chain of one unit is itself).
fn bigrams(chain: &[&str]) -> Vec<String> {
    if chain.len() == 1 {
        return vec![chain[0].to_owned()];
    }
    chain
        .windows(2)
        .map(|w| format!("{}{}", w[0], w[1]))
        .collect()
}

pub(crate) fn segment(text: &str) -> Segmented {
    let text = normalise(text);
    let mut grams = String::with_capacity(text.len() * 2);
    let mut unigrams = String::new();
    for chain in chains(&text) {
        grams.push(' ');
        grams.push_str(&bigrams(&chain).join(" "));
        for unit in chain {
            unigrams.push(' ');
            unigrams.push_str(unit);
        }
    }
    Segmented { grams, unigrams }
}

/// Builds the FTS5 expression for a user's query: every chain must match.
fn match_expression(query: &str) -> Option<String> {
    match_in(query, "grams", "unigrams")
}

/// The FTS5 expression for `query` over the given bigram and unit columns (a
/// column name, or a set such as `{title_grams body_grams}`): every chain must
/// match.
pub(crate) fn match_in(query: &str, grams: &str, unigrams: &str) -> Option<String> {
    let query = normalise(query);
    // Only letters, digits and CJK characters reach FTS5, so the quotes need no
    // escaping.
    let terms: Vec<String> = chains(&query)
        .into_iter()
        .map(|chain| match chain.as_slice() {
            [unit] if unit.chars().all(is_cjk) => format!("{unigrams} : \"{unit}\""),
            [word] => format!("{unigrams} : \"{word}\"*"),
            _ => format!("{grams} : \"{}\"", bigrams(&chain).join(" ")),
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_text_and_words_become_unit_bigrams() {
        let s = segment("刘凤英 安峰镇12号 AF-0012");
        let tokens = |t: &str| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            tokens(&s.grams),
            ["刘凤", "凤英", "安峰", "峰镇", "镇12", "12号", "af", "0012"]
        );
        assert_eq!(
            tokens(&s.unigrams),
            ["刘", "凤", "英", "安", "峰", "镇", "12", "号", "af", "0012"]
        );
        // Full width is the same text.
        assert_eq!(segment("山口村３组"), segment("山口村3组"));
    }

    #[test]
    fn queries_quote_only_safe_words() {
        assert_eq!(match_expression("刘凤").unwrap(), "grams : \"刘凤\"");
        assert_eq!(match_expression("刘凤英").unwrap(), "grams : \"刘凤 凤英\"");
        assert_eq!(match_expression("凤").unwrap(), "unigrams : \"凤\"");
        assert_eq!(match_expression("3组").unwrap(), "grams : \"3组\"");
        assert_eq!(match_expression("３组").unwrap(), "grams : \"3组\"");
        assert_eq!(
            match_expression("AF-0012 \"x\" OR").unwrap(),
            "unigrams : \"af\"* AND unigrams : \"0012\"* AND unigrams : \"x\"* AND unigrams : \"or\"*"
        );
        assert_eq!(match_expression(" \"*()- "), None);
    }
}
