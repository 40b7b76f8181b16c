//! The knowledge base's query tables on the phone, and its search: the only code
//! that writes `knowledge_entries`, its tags and categories, `knowledge_tasks`
//! and `knowledge_search`.
//!
//! Titles and bodies are segmented exactly as records are (`search.rs`): a
//! two-character term such as 低保 matches where those characters stand side by
//! side, 3组 never matches 5组3号. Title and body are separate columns; a search
//! returns the entries whose title matches first, then those whose body does,
//! each group by BM25.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::search::{chains, match_in, segment};
use crate::error::Result;
use crate::knowledge::views::{EntrySummary, KnowledgeFilter, KnowledgeHit};
use crate::knowledge::{Entry, EntryKind, GridTask, body};
use crate::text::normalise;

/// Who last changed an item and when: the revision's facts kept beside it.
pub(crate) struct Stamp<'a> {
    /// The knowledge base's version.
    pub(crate) version: u64,
    /// The author's staff id.
    pub(crate) author: &'a str,
    /// Unix seconds.
    pub(crate) at: i64,
}

/// Stores (or replaces) a live entry and its search row.
pub(crate) fn put_entry(tx: &Transaction<'_>, entry: &Entry, stamp: &Stamp<'_>) -> Result<()> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    let row: i64 = tx
        .prepare_cached(
            "INSERT INTO knowledge_entries
             (id, kind, title, department, tags, categories, valid_from, valid_to, body,
              version, author, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
             department = excluded.department, tags = excluded.tags,
             categories = excluded.categories, valid_from = excluded.valid_from,
             valid_to = excluded.valid_to, body = excluded.body, version = excluded.version,
             author = excluded.author, at = excluded.at
         RETURNING row",
        )?
        .query_row(
            params![
                entry.id,
                entry.kind.as_str(),
                entry.title,
                entry.department,
                json(&entry.tags),
                json(&entry.categories),
                entry.valid_from,
                entry.valid_to,
                entry.body,
                stamp.version as i64,
                stamp.author,
                stamp.at
            ],
            |r| r.get(0),
        )?;
    tx.execute("DELETE FROM knowledge_entry_tags WHERE row = ?1", [row])?;
    tx.execute(
        "DELETE FROM knowledge_entry_categories WHERE row = ?1",
        [row],
    )?;
    for tag in &entry.tags {
        tx.execute(
            "INSERT OR IGNORE INTO knowledge_entry_tags (tag, row) VALUES (?1, ?2)",
            params![tag, row],
        )?;
    }
    for category in &entry.categories {
        tx.execute(
            "INSERT OR IGNORE INTO knowledge_entry_categories (category, row) VALUES (?1, ?2)",
            params![category, row],
        )?;
    }
    // Tags are the county's own keywords (低保 for 最低生活保障): they rank
    // after the title and before the body. The department is searched with the
    // body: 民政局 finds the department's entries.
    let title = segment(&entry.title);
    let tags = segment(&entry.tags.join(" "));
    let text = segment(&format!(
        "{}\n{}",
        body::plain_text(&entry.body),
        entry.department
    ));
    tx.prepare_cached("DELETE FROM knowledge_search WHERE rowid = ?1")?
        .execute([row])?;
    tx.prepare_cached(
        "INSERT INTO knowledge_search (rowid, title_grams, title_unigrams, tag_grams,
             tag_unigrams, body_grams, body_unigrams)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        row,
        title.grams,
        title.unigrams,
        tags.grams,
        tags.unigrams,
        text.grams,
        text.unigrams
    ])?;
    Ok(())
}

/// Removes an entry (retired) and its search row.
pub(crate) fn remove_entry(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let row: Option<i64> = tx
        .query_row(
            "SELECT row FROM knowledge_entries WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(row) = row {
        tx.execute("DELETE FROM knowledge_search WHERE rowid = ?1", [row])?;
        tx.execute("DELETE FROM knowledge_entries WHERE row = ?1", [row])?;
    }
    Ok(())
}

/// Stores (or replaces) a live task.
pub(crate) fn put_task(tx: &Transaction<'_>, task: &GridTask, stamp: &Stamp<'_>) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO knowledge_tasks (id, department, item, version, author, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            task.id,
            task.department,
            serde_json::to_string(task).unwrap_or_default(),
            stamp.version as i64,
            stamp.author,
            stamp.at
        ],
    )?;
    Ok(())
}

/// Removes a task (retired).
pub(crate) fn remove_task(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.execute("DELETE FROM knowledge_tasks WHERE id = ?1", [id])?;
    Ok(())
}

/// The SQL condition that keeps entries in force on `?day` and within a filter's
/// `?dept`, `?tag` and `?kind` (each NULL when unset), over `e`.
pub(crate) const FILTER_SQL: &str = "(e.valid_from IS NULL OR e.valid_from <= :day)
      AND (e.valid_to IS NULL OR e.valid_to >= :day)
      AND (:dept IS NULL OR e.department = :dept)
      AND (:kind IS NULL OR e.kind = :kind)
      AND (:tag IS NULL OR EXISTS (SELECT 1 FROM knowledge_entry_tags t
                                   WHERE t.tag = :tag AND t.row = e.row))";

/// An entry summary from `e.id, e.kind, e.title, e.department, e.tags` at `at`.
pub(crate) fn summary(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<EntrySummary> {
    let kind: String = r.get(at + 1)?;
    let tags: String = r.get(at + 4)?;
    Ok(EntrySummary {
        id: r.get(at)?,
        kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Guide),
        title: r.get(at + 2)?,
        department: r.get(at + 3)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
    })
}

/// The order of kinds within title and tag matches: the guide first, then the
/// answers, the service item, the laws, the department's functions.
const KIND_RANK: &str = "CASE e.kind WHEN 'guide' THEN 0 WHEN 'faq' THEN 1 WHEN 'service' THEN 2
     WHEN 'law' THEN 3 ELSE 4 END";

/// Finds the entries in force on `day` whose title, tags or body hold every
/// word of `query`, in three groups: title matches, then tag matches (each the
/// guide first, then by BM25), then body matches (by BM25). Retired entries are
/// not on the phone at all.
pub(crate) fn search(
    conn: &Connection,
    query: &str,
    filter: &KnowledgeFilter,
    day: &str,
    limit: usize,
) -> Result<Vec<KnowledgeHit>> {
    let (Some(title), Some(tag), Some(any)) = (
        match_in(query, "title_grams", "title_unigrams"),
        match_in(
            query,
            "{title_grams tag_grams}",
            "{title_unigrams tag_unigrams}",
        ),
        match_in(
            query,
            "{title_grams tag_grams body_grams}",
            "{title_unigrams tag_unigrams body_unigrams}",
        ),
    ) else {
        return Ok(Vec::new());
    };
    let words = query_words(query);
    let groups = [
        (&title, None, true),
        (&tag, Some(&title), true),
        (&any, Some(&tag), false),
    ];
    let mut hits = Vec::new();
    for (expr, skip, by_kind) in groups {
        if hits.len() >= limit {
            break;
        }
        let order = if by_kind {
            format!("{KIND_RANK}, ")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT e.id, e.kind, e.title, e.department, e.tags, e.body
             FROM knowledge_search s JOIN knowledge_entries e ON e.row = s.rowid
             WHERE knowledge_search MATCH :expr AND {FILTER_SQL}
               AND (:skip IS NULL OR s.rowid NOT IN
                    (SELECT rowid FROM knowledge_search WHERE knowledge_search MATCH :skip))
             ORDER BY {order}bm25(knowledge_search, 10.0, 10.0, 5.0, 5.0, 1.0, 1.0), e.id
             LIMIT :limit"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            rusqlite::named_params! {
                ":expr": expr,
                ":skip": skip,
                ":day": day,
                ":dept": filter.department,
                ":kind": filter.kind.map(EntryKind::as_str),
                ":tag": filter.tag,
                ":limit": (limit - hits.len()) as i64,
            },
            |r| Ok((summary(r, 0)?, r.get::<_, String>(5)?)),
        )?;
        for row in rows {
            let (entry, body) = row?;
            let (passage, marks) = passage(&body::plain_text(&body), &words);
            hits.push(KnowledgeHit {
                entry,
                in_title: by_kind,
                passage,
                marks,
            });
        }
    }
    Ok(hits)
}

/// The query's words as they are matched: each chain of units, joined.
fn query_words(query: &str) -> Vec<String> {
    let query = normalise(query);
    chains(&query).into_iter().map(|c| c.concat()).collect()
}

/// How many characters a passage shows.
const PASSAGE_CHARS: usize = 80;

/// The passage of `text` around the first line where one of `words` stands,
/// with every word's place marked (`[start, end)` in characters of the
/// passage). Without such a line: the text's start, unmarked.
fn passage(text: &str, words: &[String]) -> (String, Vec<[u32; 2]>) {
    // Each character normalised on its own, so positions map back one to one.
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let norm: Vec<String> = chars.iter().map(|c| normalise(&c.to_string())).collect();
        let mut marks: Vec<(usize, usize)> = Vec::new();
        for word in words {
            let mut i = 0;
            while i < norm.len() {
                let mut j = i;
                let mut built = String::new();
                while j < norm.len() && built.len() < word.len() {
                    built.push_str(&norm[j]);
                    j += 1;
                }
                if built == *word {
                    marks.push((i, j));
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
        if marks.is_empty() {
            continue;
        }
        marks.sort_unstable();
        let first = marks[0].0;
        let start = first.saturating_sub(PASSAGE_CHARS / 4);
        let end = (start + PASSAGE_CHARS).min(chars.len());
        let start = end.saturating_sub(PASSAGE_CHARS).min(start);
        let mut shown: String = chars[start..end].iter().collect();
        let lead = usize::from(start > 0);
        if start > 0 {
            shown.insert(0, '…');
        }
        if end < chars.len() {
            shown.push('…');
        }
        let marks = marks
            .into_iter()
            .filter(|(a, b)| *a >= start && *b <= end)
            .map(|(a, b)| [(a - start + lead) as u32, (b - start + lead) as u32])
            .collect();
        return (shown, marks);
    }
    let head: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(PASSAGE_CHARS)
        .collect();
    (head, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_mark_every_word_where_it_stands() {
        let words = query_words("低保 3组");
        let (p, marks) = passage("第一行没有\n申请低保须由本人向户籍所在地３组提出", &words);
        assert_eq!(p, "申请低保须由本人向户籍所在地３组提出");
        let chars: Vec<char> = p.chars().collect();
        let marked: Vec<String> = marks
            .iter()
            .map(|[a, b]| chars[*a as usize..*b as usize].iter().collect())
            .collect();
        assert_eq!(marked, ["低保", "３组"]);
        let long = format!("{}低保{}", "前".repeat(100), "后".repeat(100));
        let (p, marks) = passage(&long, &words);
        assert!(p.starts_with('…') && p.ends_with('…'));
        let chars: Vec<char> = p.chars().collect();
        let [a, b] = marks[0];
        assert_eq!(
            chars[a as usize..b as usize].iter().collect::<String>(),
            "低保"
        );
        assert_eq!(passage("只有标题命中", &words).1, Vec::<[u32; 2]>::new());
    }
}
