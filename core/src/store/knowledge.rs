//! The knowledge base and the grid task list on the phone: taking in a download
//! page by page and applying it all at once, and every read the screens make
//! (search, browse, one entry, guidance for a category, the signed-in person's
//! tasks).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::FieldStore;
use crate::error::{Error, Result};
use crate::index::knowledge::{self as index, FILTER_SQL, Stamp};
use crate::knowledge::views::{
    EntrySummary, EntryView, KnowledgeFilter, KnowledgeHit, KnowledgeStatus, LinkTarget, NameCount,
    TaskView,
};
use crate::knowledge::{Entry, EntryKind, GridTask, Item, KNOWLEDGE, Revision, body};
use crate::protocol::KnowledgePage;

/// The download in progress, as kept between pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Download {
    pub(crate) since: u64,
    pub(crate) to: u64,
    pub(crate) after: Option<String>,
}

fn today() -> String {
    crate::time::date_at(crate::time::now()).to_string()
}

impl FieldStore {
    /// The version of the knowledge base fully downloaded to this phone.
    pub fn knowledge_version(&self) -> Result<Option<u64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT version FROM reference_versions WHERE what = ?1",
                [KNOWLEDGE],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|v| v as u64))
    }

    /// The download in progress: where the next page starts.
    pub(crate) fn knowledge_download(&self) -> Result<Option<Download>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT since, to_version, after FROM knowledge_download WHERE one = 1",
                [],
                |r| {
                    Ok(Download {
                        since: r.get::<_, i64>(0)? as u64,
                        to: r.get::<_, i64>(1)? as u64,
                        after: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// What this phone holds of the knowledge base, and the download in progress.
    pub fn knowledge_status(&self) -> Result<KnowledgeStatus> {
        let version = self.knowledge_version()?;
        let conn = self.conn();
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        let download: Option<(i64, i64, i64)> = conn
            .query_row(
                "SELECT to_version, fetched, total FROM knowledge_download WHERE one = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(KnowledgeStatus {
            version,
            entries: count("SELECT count(*) FROM knowledge_entries")? as u64,
            tasks: count("SELECT count(*) FROM knowledge_tasks")? as u64,
            downloading_to: download.map(|d| d.0 as u64),
            download_fetched: download.map_or(0, |d| d.1 as u64),
            download_total: download.map_or(0, |d| d.2 as u64),
        })
    }

    /// Takes in one page of a knowledge-base download. The page must continue the
    /// download in progress (same `since` and `to`, starting where the last page
    /// ended) or, with none in progress, start one from this phone's version.
    /// Pages are kept aside; the last one applies them all in one transaction, so
    /// the screens show the old set until the new one is complete. Returns
    /// whether the download is complete.
    pub fn take_knowledge_page(&self, page: &KnowledgePage) -> Result<bool> {
        let have = self.knowledge_version()?.unwrap_or(0);
        let current = self.knowledge_download()?;
        let refuse = |why: &str| Err(Error::InvalidKnowledge(why.to_owned()));
        match &current {
            Some(d) if d.since != page.since || d.to != page.to => {
                return refuse("the page belongs to another download");
            }
            None if page.since != have => {
                return refuse("the page does not start from this phone's version");
            }
            _ => {}
        }
        if page.to < page.since {
            return refuse("the page's versions run backwards");
        }
        let after = current.as_ref().and_then(|d| d.after.clone());
        for rev in &page.items {
            let cursor = KnowledgePage::cursor(rev.item.kind(), rev.item.id());
            if after.as_deref().is_some_and(|a| cursor.as_str() <= a)
                || rev.version <= page.since
                || rev.version > page.to
                || !crate::knowledge::valid_id(rev.item.id())
            {
                return refuse("the page repeats or misplaces an item");
            }
        }
        self.write(|tx| {
            if current.is_none() {
                tx.execute("DELETE FROM knowledge_staging", [])?;
                tx.execute(
                    "INSERT INTO knowledge_download (one, since, to_version, after, fetched, total)
                     VALUES (1, ?1, ?2, NULL, 0, ?3)",
                    params![page.since as i64, page.to as i64, page.total as i64],
                )?;
            }
            let mut stage = tx.prepare_cached(
                "INSERT OR REPLACE INTO knowledge_staging (kind, id, revision) VALUES (?1, ?2, ?3)",
            )?;
            for rev in &page.items {
                stage.execute(params![
                    rev.item.kind().as_str(),
                    rev.item.id(),
                    serde_json::to_string(rev).unwrap_or_default()
                ])?;
            }
            drop(stage);
            let last = page
                .items
                .last()
                .map(|r| KnowledgePage::cursor(r.item.kind(), r.item.id()));
            tx.execute(
                "UPDATE knowledge_download SET after = coalesce(?1, after),
                     fetched = fetched + ?2 WHERE one = 1",
                params![last, page.items.len() as i64],
            )?;
            if page.next.is_some() {
                return Ok(false);
            }
            apply_staged(tx, page.to)?;
            Ok(true)
        })
    }

    /// Drops a download in progress (the old set stays as it was).
    pub fn discard_knowledge_download(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM knowledge_staging", [])?;
            tx.execute("DELETE FROM knowledge_download", [])?;
            Ok(())
        })
    }

    /// Finds entries in force whose title or body holds every word of `query`
    /// (Chinese by character bigrams, like record search): title matches first,
    /// each hit with the passage where it matched.
    pub fn search_knowledge(
        &self,
        query: &str,
        filter: &KnowledgeFilter,
        limit: usize,
    ) -> Result<Vec<KnowledgeHit>> {
        index::search(&self.conn(), query, filter, &today(), limit)
    }

    /// Entries in force, by department, kind and title, `limit` from `offset`.
    pub fn knowledge_entries(
        &self,
        filter: &KnowledgeFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<EntrySummary>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT e.id, e.kind, e.title, e.department, e.tags FROM knowledge_entries e
             WHERE {FILTER_SQL}
             ORDER BY e.department, e.kind, e.title, e.id LIMIT :limit OFFSET :offset"
        ))?;
        let rows = stmt.query_map(
            rusqlite::named_params! {
                ":day": today(),
                ":dept": filter.department,
                ":kind": filter.kind.map(EntryKind::as_str),
                ":tag": filter.tag,
                ":limit": limit as i64,
                ":offset": offset as i64,
            },
            |r| index::summary(r, 0),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The departments with entries in force, and how many each has.
    pub fn knowledge_departments(&self) -> Result<Vec<NameCount>> {
        self.name_counts(
            "SELECT department, count(*) FROM knowledge_entries
             WHERE (valid_from IS NULL OR valid_from <= ?1) AND (valid_to IS NULL OR valid_to >= ?1)
             GROUP BY department ORDER BY department",
        )
    }

    /// The tags of entries in force, most used first.
    pub fn knowledge_tags(&self) -> Result<Vec<NameCount>> {
        self.name_counts(
            "SELECT t.tag, count(*) AS n FROM knowledge_entry_tags t
               JOIN knowledge_entries e ON e.row = t.row
             WHERE (e.valid_from IS NULL OR e.valid_from <= ?1)
               AND (e.valid_to IS NULL OR e.valid_to >= ?1)
             GROUP BY t.tag ORDER BY n DESC, t.tag",
        )
    }

    fn name_counts(&self, sql: &str) -> Result<Vec<NameCount>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([today()], |r| {
            Ok(NameCount {
                name: r.get(0)?,
                count: r.get::<_, i64>(1)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One entry to read: its text in blocks, its links resolved on this phone,
    /// who last changed it, and the tasks that cite it. `None` when this phone
    /// has no such entry (never published, or retired).
    pub fn knowledge_entry(&self, id: &str) -> Result<Option<EntryView>> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, kind, title, department, tags, categories, valid_from, valid_to,
                        body, version, author, at
                 FROM knowledge_entries WHERE id = ?1",
                [id],
                |r| {
                    let kind: String = r.get(1)?;
                    let tags: String = r.get(4)?;
                    let categories: String = r.get(5)?;
                    Ok((
                        Entry {
                            id: r.get(0)?,
                            kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Guide),
                            title: r.get(2)?,
                            department: r.get(3)?,
                            tags: serde_json::from_str(&tags).unwrap_or_default(),
                            categories: serde_json::from_str(&categories).unwrap_or_default(),
                            valid_from: r.get(6)?,
                            valid_to: r.get(7)?,
                            body: r.get(8)?,
                            retired: false,
                        },
                        r.get::<_, i64>(9)? as u64,
                        r.get::<_, String>(10)?,
                        r.get::<_, i64>(11)?,
                    ))
                },
            )
            .optional()?;
        let Some((entry, version, author, at)) = row else {
            return Ok(None);
        };
        let mut links = Vec::new();
        for target in body::links(&entry.body) {
            let title = self
                .conn()
                .query_row(
                    "SELECT title FROM knowledge_entries WHERE id = ?1",
                    [&target],
                    |r| r.get(0),
                )
                .optional()?;
            links.push(LinkTarget { id: target, title });
        }
        let tasks = self
            .all_tasks()?
            .into_iter()
            .filter(|t| t.basis.as_deref() == Some(id))
            .map(|t| (t.id, t.name))
            .collect();
        let author = self.staff_name(&author)?.unwrap_or(author);
        Ok(Some(EntryView {
            in_force: entry.valid_on(&today()),
            blocks: body::blocks(&entry.body),
            entry,
            links,
            version,
            author,
            at,
            tasks,
        }))
    }

    /// The entries in force that help with incident category `code`: those tagged
    /// with it or with a category above it, the nearest category first, guides and
    /// answers before laws.
    pub fn knowledge_guidance(&self, code: &str) -> Result<Vec<EntrySummary>> {
        let mut ancestors: Vec<String> = Vec::new();
        let mut at = code;
        loop {
            ancestors.push(at.to_owned());
            match at.rfind('.') {
                Some(i) => at = &at[..i],
                None => break,
            }
        }
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT e.id, e.kind, e.title, e.department, e.tags, c.category
             FROM knowledge_entry_categories c JOIN knowledge_entries e ON e.row = c.row
             WHERE c.category IN (SELECT value FROM json_each(:codes)) AND {FILTER_SQL}"
        ))?;
        let rows = stmt.query_map(
            rusqlite::named_params! {
                ":codes": serde_json::to_string(&ancestors).unwrap_or_default(),
                ":day": today(),
                ":dept": None::<String>,
                ":kind": None::<String>,
                ":tag": None::<String>,
            },
            |r| Ok((index::summary(r, 0)?, r.get::<_, String>(5)?)),
        )?;
        let mut found: BTreeMap<String, (usize, EntrySummary)> = BTreeMap::new();
        for row in rows {
            let (summary, category) = row?;
            let depth = ancestors.iter().position(|a| *a == category).unwrap_or(0);
            let slot = found
                .entry(summary.id.clone())
                .or_insert((depth, summary.clone()));
            slot.0 = slot.0.min(depth);
        }
        let mut out: Vec<(usize, EntrySummary)> = found.into_values().collect();
        let rank = |k: EntryKind| EntryKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
        out.sort_by(|a, b| {
            (a.0, rank(a.1.kind), &a.1.title, &a.1.id).cmp(&(
                b.0,
                rank(b.1.kind),
                &b.1.title,
                &b.1.id,
            ))
        });
        Ok(out.into_iter().map(|(_, s)| s).collect())
    }

    fn all_tasks(&self) -> Result<Vec<GridTask>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT item FROM knowledge_tasks ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            if let Ok(task) = serde_json::from_str(&row?) {
                out.push(task);
            }
        }
        Ok(out)
    }

    fn task_view(&self, task: GridTask) -> Result<TaskView> {
        let basis_title = match &task.basis {
            Some(id) => self
                .conn()
                .query_row(
                    "SELECT title FROM knowledge_entries WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        Ok(TaskView { task, basis_title })
    }

    /// Every grid task on this phone, by id; `department` narrows to one.
    pub fn grid_tasks(&self, department: Option<&str>) -> Result<Vec<TaskView>> {
        self.all_tasks()?
            .into_iter()
            .filter(|t| department.is_none_or(|d| t.department == d))
            .map(|t| self.task_view(t))
            .collect()
    }

    /// One grid task, or `None`.
    pub fn grid_task(&self, id: &str) -> Result<Option<TaskView>> {
        match self.all_tasks()?.into_iter().find(|t| t.id == id) {
            Some(t) => Ok(Some(self.task_view(t)?)),
            None => Ok(None),
        }
    }

    /// The grid tasks the signed-in person does: those of a role they hold, in a
    /// kind of grid they work in; most frequent first.
    pub fn my_grid_tasks(&self) -> Result<Vec<TaskView>> {
        let staff = self.current_user().ok_or(Error::NotSignedIn)?;
        let roles: Vec<_> = self.roles_of(&staff)?.into_iter().map(|a| a.role).collect();
        let kinds: Vec<_> = self.grids_of(&staff)?.into_iter().map(|g| g.kind).collect();
        let mut tasks: Vec<GridTask> = self
            .all_tasks()?
            .into_iter()
            .filter(|t| t.applies_to(&roles, &kinds))
            .collect();
        tasks.sort_by(|a, b| (a.frequency, &a.id).cmp(&(b.frequency, &b.id)));
        tasks.into_iter().map(|t| self.task_view(t)).collect()
    }
}

/// Applies every staged revision and sets the version, in the caller's
/// transaction; clears the download.
fn apply_staged(tx: &rusqlite::Transaction<'_>, to: u64) -> Result<()> {
    let staged: Vec<String> = tx
        .prepare("SELECT revision FROM knowledge_staging ORDER BY kind, id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for text in staged {
        let rev: Revision = serde_json::from_str(&text)
            .map_err(|e| Error::InvalidKnowledge(format!("a kept page is unreadable: {e}")))?;
        let stamp = Stamp {
            version: rev.version,
            author: &rev.author,
            at: rev.at,
        };
        match &rev.item {
            Item::Entry(e) if e.retired => index::remove_entry(tx, &e.id)?,
            Item::Entry(e) => index::put_entry(tx, e, &stamp)?,
            Item::Task(t) if t.retired => index::remove_task(tx, &t.id)?,
            Item::Task(t) => index::put_task(tx, t, &stamp)?,
        }
    }
    tx.execute("DELETE FROM knowledge_staging", [])?;
    tx.execute("DELETE FROM knowledge_download", [])?;
    tx.execute(
        "INSERT OR REPLACE INTO reference_versions (what, version) VALUES (?1, ?2)",
        params![KNOWLEDGE, to as i64],
    )?;
    Ok(())
}
