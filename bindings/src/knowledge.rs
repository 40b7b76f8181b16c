//! The knowledge base and the grid task list for the phone's screens, offline:
//! search with the matched passage, browsing by department, tag and kind, one
//! entry with its text in blocks and links resolved, guidance for an incident
//! category, and the tasks of the signed-in person. Every name is Chinese; codes
//! stay in their own fields.

use fieldgrid_core::knowledge::body::{BlockKind, Span};
use fieldgrid_core::knowledge::views::{EntrySummary, KnowledgeFilter, TaskView};
use fieldgrid_core::knowledge::{EntryKind, form_name_zh};

use crate::error::{ApiError, ApiResult};
use crate::store::FieldGrid;

/// An entry in a list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KnowledgeEntryInfo {
    /// Its id (`ZS000123`).
    pub id: String,
    /// Its kind's code (`guide`, `faq`, `service`, `law`, `function`).
    pub kind: String,
    /// Its kind in Chinese (办事指南…).
    pub kind_name: String,
    /// Its title.
    pub title: String,
    /// Its department.
    pub department: String,
    /// Its tags.
    pub tags: Vec<String>,
}

fn entry_info(s: EntrySummary) -> KnowledgeEntryInfo {
    KnowledgeEntryInfo {
        id: s.id,
        kind: s.kind.as_str().into(),
        kind_name: s.kind.name_zh().into(),
        title: s.title,
        department: s.department,
        tags: s.tags,
    }
}

/// Where a query's word stands in a passage: `[start, end)` in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TextMark {
    /// First character.
    pub start: u32,
    /// One past the last.
    pub end: u32,
}

/// An entry a search found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KnowledgeHitInfo {
    /// The entry.
    pub entry: KnowledgeEntryInfo,
    /// Whether its title or a tag matched (these come first).
    pub in_title: bool,
    /// The passage of the body where the query matched.
    pub passage: String,
    /// The query's words in `passage`, to show in bold.
    pub marks: Vec<TextMark>,
}

/// A piece of a line: text, or a link to another entry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KnowledgeSpanInfo {
    /// The text to show (a link's own text, or the linked entry's title).
    pub text: String,
    /// The entry linked to, if this is a link.
    pub link: Option<String>,
    /// A link to an entry this phone does not have (retired): show it struck.
    pub broken: bool,
}

/// One line of an entry's text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KnowledgeBlockInfo {
    /// `heading`, `paragraph` or `item` (a list item).
    pub kind: String,
    /// Its pieces.
    pub spans: Vec<KnowledgeSpanInfo>,
}

/// A grid task that cites an entry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TaskRef {
    /// The task's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// One entry to read.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct KnowledgeEntryDetail {
    /// The entry as listed.
    pub entry: KnowledgeEntryInfo,
    /// Its text in blocks.
    pub blocks: Vec<KnowledgeBlockInfo>,
    /// The incident categories it helps with, as Chinese paths (矛盾纠纷/邻里纠纷).
    pub categories: Vec<String>,
    /// First day in force (`YYYY-MM-DD`), if limited.
    pub valid_from: Option<String>,
    /// Last day in force, if limited.
    pub valid_to: Option<String>,
    /// Whether it is in force today.
    pub in_force: bool,
    /// The knowledge base's version that last changed it.
    pub version: u64,
    /// Who last changed it (a name).
    pub author: String,
    /// When, unix seconds.
    pub at: i64,
    /// The grid tasks citing it as their basis.
    pub tasks: Vec<TaskRef>,
}

/// A grid task (网格事项).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GridTaskInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The department that asked for it.
    pub department: String,
    /// What the worker does.
    pub duty: String,
    /// How often: its code (`monthly`…).
    pub frequency: String,
    /// How often, in Chinese (每月…).
    pub frequency_name: String,
    /// The roles that do it, in Chinese.
    pub roles: Vec<String>,
    /// The kinds of grid it applies to, in Chinese (empty: every grid).
    pub grid_kinds: Vec<String>,
    /// The forms it uses, in Chinese.
    pub forms: Vec<String>,
    /// The incident category codes it reports under.
    pub categories: Vec<String>,
    /// Its basis entry's id.
    pub basis_id: Option<String>,
    /// Its basis entry's title, when this phone has it.
    pub basis_title: Option<String>,
}

fn task_info(v: TaskView) -> GridTaskInfo {
    let t = v.task;
    GridTaskInfo {
        id: t.id,
        name: t.name,
        department: t.department,
        duty: t.duty,
        frequency: t.frequency.as_str().into(),
        frequency_name: t.frequency.name_zh().into(),
        roles: t.roles.iter().map(|r| r.name_zh().to_owned()).collect(),
        grid_kinds: t
            .grid_kinds
            .iter()
            .map(|k| k.name_zh().to_owned())
            .collect(),
        forms: t.forms.iter().map(|f| form_name_zh(f).to_owned()).collect(),
        categories: t.categories,
        basis_id: t.basis,
        basis_title: v.basis_title,
    }
}

/// A department or tag and how many entries carry it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NameCountInfo {
    /// The name.
    pub name: String,
    /// Entries in force.
    pub count: u64,
}

/// The knowledge base on this phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KnowledgeStatusInfo {
    /// The version fully downloaded (`None`: never).
    pub version: Option<u64>,
    /// Entries held.
    pub entries: u64,
    /// Tasks held.
    pub tasks: u64,
    /// A download in progress: the version it brings.
    pub downloading_to: Option<u64>,
    /// Items of that download received.
    pub download_fetched: u64,
    /// Items it brings.
    pub download_total: u64,
}

fn filter(
    department: Option<String>,
    tag: Option<String>,
    kind: Option<String>,
) -> ApiResult<KnowledgeFilter> {
    let kind = match kind.filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(EntryKind::parse(&k).ok_or_else(|| ApiError::Invalid {
            detail: format!("没有“{k}”这种条目类型"),
        })?),
    };
    Ok(KnowledgeFilter {
        department: department.filter(|d| !d.is_empty()),
        tag: tag.filter(|t| !t.is_empty()),
        kind,
    })
}

#[uniffi::export]
impl FieldGrid {
    /// Searches the knowledge base offline: entries in force whose title, tags or
    /// text hold every word of `query` (Chinese by character pairs), title and
    /// tag matches first, each with the passage where it matched. Empty
    /// department, tag or kind: all.
    pub fn search_knowledge(
        &self,
        query: String,
        department: Option<String>,
        tag: Option<String>,
        kind: Option<String>,
        limit: u32,
    ) -> ApiResult<Vec<KnowledgeHitInfo>> {
        let filter = filter(department, tag, kind)?;
        Ok(self
            .store
            .search_knowledge(&query, &filter, limit as usize)?
            .into_iter()
            .map(|h| KnowledgeHitInfo {
                entry: entry_info(h.entry),
                in_title: h.in_title,
                passage: h.passage,
                marks: h
                    .marks
                    .into_iter()
                    .map(|[start, end]| TextMark { start, end })
                    .collect(),
            })
            .collect())
    }

    /// Entries in force to browse, by department, kind and title.
    pub fn knowledge_entries(
        &self,
        department: Option<String>,
        tag: Option<String>,
        kind: Option<String>,
        offset: u32,
        limit: u32,
    ) -> ApiResult<Vec<KnowledgeEntryInfo>> {
        let filter = filter(department, tag, kind)?;
        Ok(self
            .store
            .knowledge_entries(&filter, offset as usize, limit as usize)?
            .into_iter()
            .map(entry_info)
            .collect())
    }

    /// The departments with entries in force.
    pub fn knowledge_departments(&self) -> ApiResult<Vec<NameCountInfo>> {
        Ok(self
            .store
            .knowledge_departments()?
            .into_iter()
            .map(|n| NameCountInfo {
                name: n.name,
                count: n.count,
            })
            .collect())
    }

    /// The tags of entries in force, most used first.
    pub fn knowledge_tags(&self) -> ApiResult<Vec<NameCountInfo>> {
        Ok(self
            .store
            .knowledge_tags()?
            .into_iter()
            .map(|n| NameCountInfo {
                name: n.name,
                count: n.count,
            })
            .collect())
    }

    /// One entry to read, or `None` when this phone has no such entry.
    pub fn knowledge_entry(&self, id: String) -> ApiResult<Option<KnowledgeEntryDetail>> {
        let Some(view) = self.store.knowledge_entry(&id)? else {
            return Ok(None);
        };
        let catalogue = self.store.catalogue()?;
        let title_of = |id: &str| {
            view.links
                .iter()
                .find(|l| l.id == id)
                .and_then(|l| l.title.clone())
        };
        let blocks = view
            .blocks
            .iter()
            .map(|b| KnowledgeBlockInfo {
                kind: match b.kind {
                    BlockKind::Heading => "heading",
                    BlockKind::Paragraph => "paragraph",
                    BlockKind::Item => "item",
                }
                .into(),
                spans: b
                    .spans
                    .iter()
                    .map(|s| match s {
                        Span::Text { text } => KnowledgeSpanInfo {
                            text: text.clone(),
                            link: None,
                            broken: false,
                        },
                        Span::Link { id, text } => {
                            let title = title_of(id);
                            KnowledgeSpanInfo {
                                text: if text.is_empty() {
                                    title.clone().unwrap_or_else(|| id.clone())
                                } else {
                                    text.clone()
                                },
                                link: Some(id.clone()),
                                broken: title.is_none(),
                            }
                        }
                    })
                    .collect(),
            })
            .collect();
        let categories = view
            .entry
            .categories
            .iter()
            .map(|c| match &catalogue {
                Some(cat) if cat.find(c).is_some() => cat
                    .path(c)
                    .iter()
                    .map(|x| x.name.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                _ => c.clone(),
            })
            .collect();
        let e = view.entry;
        Ok(Some(KnowledgeEntryDetail {
            entry: KnowledgeEntryInfo {
                id: e.id,
                kind: e.kind.as_str().into(),
                kind_name: e.kind.name_zh().into(),
                title: e.title,
                department: e.department,
                tags: e.tags,
            },
            blocks,
            categories,
            valid_from: e.valid_from,
            valid_to: e.valid_to,
            in_force: view.in_force,
            version: view.version,
            author: view.author,
            at: view.at,
            tasks: view
                .tasks
                .into_iter()
                .map(|(id, name)| TaskRef { id, name })
                .collect(),
        }))
    }

    /// Guidance for an incident category (from the report and handling screens):
    /// the entries for it or a category above it, nearest first, guides first.
    pub fn knowledge_guidance(&self, category: String) -> ApiResult<Vec<KnowledgeEntryInfo>> {
        Ok(self
            .store
            .knowledge_guidance(&category)?
            .into_iter()
            .map(entry_info)
            .collect())
    }

    /// The grid tasks of the signed-in person's roles and kinds of grid, most
    /// frequent first.
    pub fn my_grid_tasks(&self) -> ApiResult<Vec<GridTaskInfo>> {
        Ok(self
            .store
            .my_grid_tasks()?
            .into_iter()
            .map(task_info)
            .collect())
    }

    /// Every grid task on the phone (one department's, when given).
    pub fn grid_tasks(&self, department: Option<String>) -> ApiResult<Vec<GridTaskInfo>> {
        Ok(self
            .store
            .grid_tasks(department.as_deref().filter(|d| !d.is_empty()))?
            .into_iter()
            .map(task_info)
            .collect())
    }

    /// What this phone holds of the knowledge base, and a download in progress.
    pub fn knowledge_status(&self) -> ApiResult<KnowledgeStatusInfo> {
        let s = self.store.knowledge_status()?;
        Ok(KnowledgeStatusInfo {
            version: s.version,
            entries: s.entries,
            tasks: s.tasks,
            downloading_to: s.downloading_to,
            download_fetched: s.download_fetched,
            download_total: s.download_total,
        })
    }
}
