//! The knowledge base and the grid task list: who may read and change them, the
//! drafts, the preview and the publish, and the pages of changes phones fetch.
//!
//! Everyone signed in may read the published set (it is the county's public
//! knowledge, with no personal data). Only the county's administrators and its
//! command centre edit, import, discard and publish; the server's administrators
//! may import and publish through the admin API. Every change is a draft until
//! it is published with the others as the next version; every published state of
//! every item is kept with who changed it and when.

use std::collections::{BTreeMap, HashSet};

use fieldgrid_core::knowledge::check::{item_problems, set_problems};
use fieldgrid_core::knowledge::{Item, ItemKind, Revision};
use fieldgrid_core::org::Role;
use fieldgrid_core::protocol::{KnowledgePage, MAX_KNOWLEDGE_PAGE};

use super::{Caller, ServiceError};
use crate::AppState;
use crate::storage::{KnowledgeRow, KnowledgeVersion, StorageError};

/// Who changes the knowledge base.
#[derive(Debug, Clone, Copy)]
pub enum Editor<'a> {
    /// A person signed in to the pages.
    Staff(&'a Caller),
    /// A server administrator, by the admin token's name.
    Admin(&'a str),
}

impl Editor<'_> {
    /// The author recorded for a change, once the editor may edit.
    fn author(&self) -> Result<String, ServiceError> {
        match self {
            Editor::Admin(name) => Ok(format!("admin:{name}")),
            Editor::Staff(caller) if may_edit(caller) => Ok(caller.staff.clone()),
            Editor::Staff(_) => Err(ServiceError::Refused(
                "只有县级管理员和县指挥中心可以修改知识库和网格事项".into(),
            )),
        }
    }
}

/// Whether the caller may edit and publish: holds the county administrator's or
/// the county command centre's role.
pub fn may_edit(caller: &Caller) -> bool {
    caller
        .tree
        .staff
        .iter()
        .find(|s| s.id == caller.staff)
        .is_some_and(|s| {
            s.roles
                .iter()
                .any(|r| matches!(r.role, Role::CountyAdministrator | Role::CountySupervisor))
        })
}

/// The name of whoever made a change: a person's name from the org tree, or
/// 管理员 and the admin token's name.
pub fn author_name(caller: &Caller, author: &str) -> String {
    if let Some(name) = author.strip_prefix("admin:") {
        return format!("管理员 {name}");
    }
    caller
        .tree
        .staff
        .iter()
        .find(|s| s.id == author)
        .map_or_else(|| author.to_owned(), |s| s.name.clone())
}

/// One stored state of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The item.
    pub item: Item,
    /// The version that published it (0: a draft).
    pub version: u64,
    /// Who changed it.
    pub author: String,
    /// When (unix seconds).
    pub at: i64,
}

fn stored(row: KnowledgeRow) -> Result<Stored, ServiceError> {
    let item: Item = serde_json::from_str(&row.item)
        .map_err(|e| ServiceError::Corrupt(format!("knowledge item {}: {e}", row.id)))?;
    Ok(Stored {
        item,
        version: row.version,
        author: row.author,
        at: row.at,
    })
}

/// An item's key: its kind and id.
pub type Key = (ItemKind, String);

/// The published set: the newest state of every item ever published (retired
/// ones too), and the version.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// The newest published version (0: none).
    pub version: u64,
    /// Every item, by kind and id.
    pub items: BTreeMap<Key, Stored>,
}

/// The published set.
pub async fn published(state: &AppState, _reader: &Caller) -> Result<Published, ServiceError> {
    published_set(state).await
}

async fn published_set(state: &AppState) -> Result<Published, ServiceError> {
    let version = state.storage.knowledge_version().await?;
    let mut items = BTreeMap::new();
    for row in state.storage.knowledge_latest().await? {
        let s = stored(row)?;
        items.insert((s.item.kind(), s.item.id().to_owned()), s);
    }
    Ok(Published { version, items })
}

/// One page of the changes after `since` up to `to` (default: the newest
/// version), for a phone. A `to` beyond the newest version, a `since` after
/// `to` or an unreadable cursor is refused.
pub async fn changes(
    state: &AppState,
    _reader: &Caller,
    since: u64,
    to: Option<u64>,
    after: Option<&str>,
    limit: u32,
) -> Result<KnowledgePage, ServiceError> {
    let newest = state.storage.knowledge_version().await?;
    let to = to.unwrap_or(newest);
    if to > newest || since > to {
        return Err(ServiceError::Refused(format!(
            "versions since={since} to={to} are not a range of the published ones (newest {newest})"
        )));
    }
    let after = match after {
        None | Some("") => None,
        Some(c) => {
            let (kind, id) = KnowledgePage::parse_cursor(c)
                .ok_or_else(|| ServiceError::Refused("after is kind:id of an item".into()))?;
            Some((kind.as_str().to_owned(), id))
        }
    };
    let limit = limit.clamp(1, MAX_KNOWLEDGE_PAGE);
    let first = after.is_none();
    let rows = state
        .storage
        .knowledge_changes(since, to, after, limit + 1)
        .await?;
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.into_iter().take(limit as usize) {
        let s = stored(row)?;
        items.push(Revision {
            version: s.version,
            author: s.author,
            at: s.at,
            item: s.item,
        });
    }
    let next = more
        .then(|| items.last())
        .flatten()
        .map(|r| KnowledgePage::cursor(r.item.kind(), r.item.id()));
    let total = if first {
        state.storage.knowledge_change_count(since, to).await?
    } else {
        0
    };
    Ok(KnowledgePage {
        since,
        to,
        items,
        next,
        total,
    })
}

/// What a draft does to the published set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new item.
    Added,
    /// A changed item: the fields that differ.
    Changed(Vec<&'static str>),
    /// An item retired.
    Retired,
    /// A retired item brought back.
    Restored,
}

impl ChangeKind {
    /// The change in Chinese.
    pub fn name_zh(&self) -> String {
        match self {
            ChangeKind::Added => "新增".into(),
            ChangeKind::Changed(fields) => format!("修改（{}）", fields.join("、")),
            ChangeKind::Retired => "废止".into(),
            ChangeKind::Restored => "恢复".into(),
        }
    }
}

/// What changed between `before` (none: new) and `after`; `None` when nothing did.
pub fn change_of(before: Option<&Item>, after: &Item) -> Option<ChangeKind> {
    match before {
        None => Some(ChangeKind::Added),
        Some(b) if !b.retired() && after.retired() => Some(ChangeKind::Retired),
        Some(b) if b.retired() && !after.retired() => Some(ChangeKind::Restored),
        Some(b) => {
            let fields = after.changed_fields(b);
            (!fields.is_empty()).then_some(ChangeKind::Changed(fields))
        }
    }
}

/// A draft and what it changes.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The draft.
    pub draft: Stored,
    /// The published state it replaces.
    pub before: Option<Stored>,
    /// What it changes.
    pub change: ChangeKind,
}

/// The drafts waiting, the published set they apply to, and every problem the
/// set would have if published now.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// The published set.
    pub published: Published,
    /// The drafts, in kind and id order.
    pub drafts: Vec<Draft>,
    /// Every problem of the set with the drafts applied.
    pub problems: Vec<String>,
}

/// The drafts and what publishing them would do.
pub async fn preview(state: &AppState, _reader: &Caller) -> Result<Preview, ServiceError> {
    preview_of(state).await
}

async fn preview_of(state: &AppState) -> Result<Preview, ServiceError> {
    let published = published_set(state).await?;
    let mut drafts = Vec::new();
    for row in state.storage.knowledge_drafts().await? {
        let draft = stored(row)?;
        let key = (draft.item.kind(), draft.item.id().to_owned());
        let before = published.items.get(&key).cloned();
        let change = change_of(before.as_ref().map(|b| &b.item), &draft.item)
            .unwrap_or(ChangeKind::Changed(Vec::new()));
        drafts.push(Draft {
            draft,
            before,
            change,
        });
    }
    let mut set: BTreeMap<Key, Item> = published
        .items
        .iter()
        .map(|(k, s)| (k.clone(), s.item.clone()))
        .collect();
    let mut changed = HashSet::new();
    for d in &drafts {
        let key = (d.draft.item.kind(), d.draft.item.id().to_owned());
        changed.insert(key.clone());
        set.insert(key, d.draft.item.clone());
    }
    let catalogue = state.catalogue().await?;
    let problems = set_problems(&set, Some(&changed), Some(&catalogue))
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(Preview {
        published,
        drafts,
        problems,
    })
}

/// How an import changed the drafts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// New items.
    pub added: u64,
    /// Changed items.
    pub changed: u64,
    /// Items retired.
    pub retired: u64,
    /// Items the file holds as they are published (no draft made).
    pub unchanged: u64,
}

/// Saves items as drafts (from the edit form or an import): each item's own
/// problems, and the links the set would break, are listed all at once and
/// nothing is saved while any remains. An item the same as its published state
/// leaves no draft (and drops an earlier draft of it).
pub async fn save_drafts(
    state: &AppState,
    editor: Editor<'_>,
    items: Vec<Item>,
) -> Result<ImportSummary, ServiceError> {
    let author = editor.author()?;
    let catalogue = state.catalogue().await?;
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for item in &items {
        let key = (item.kind(), item.id().to_owned());
        let place = fieldgrid_core::knowledge::check::place_of(key.0, &key.1);
        if !seen.insert(key) {
            problems.push(format!("{place}：编号重复"));
        }
        problems.extend(
            item_problems(item, Some(&catalogue))
                .into_iter()
                .map(|p| format!("{place}：{p}")),
        );
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let preview = preview_of(state).await?;
    let mut set: BTreeMap<Key, Item> = preview
        .published
        .items
        .iter()
        .map(|(k, s)| (k.clone(), s.item.clone()))
        .collect();
    for d in &preview.drafts {
        set.insert(
            (d.draft.item.kind(), d.draft.item.id().to_owned()),
            d.draft.item.clone(),
        );
    }
    for item in &items {
        set.insert((item.kind(), item.id().to_owned()), item.clone());
    }
    let links: Vec<String> = set_problems(&set, Some(&HashSet::new()), None)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !links.is_empty() {
        return Err(ServiceError::Invalid(links));
    }
    let at = crate::now();
    let mut summary = ImportSummary::default();
    let mut rows = Vec::new();
    let mut drop = Vec::new();
    for item in items {
        let key = (item.kind(), item.id().to_owned());
        let before = preview.published.items.get(&key).map(|s| &s.item);
        match change_of(before, &item) {
            None => {
                summary.unchanged += 1;
                drop.push(key);
                continue;
            }
            Some(ChangeKind::Added) => summary.added += 1,
            Some(ChangeKind::Retired) => summary.retired += 1,
            Some(_) => summary.changed += 1,
        }
        rows.push(KnowledgeRow {
            kind: key.0.as_str().to_owned(),
            id: key.1,
            version: 0,
            item: serde_json::to_string(&item).map_err(|e| ServiceError::Corrupt(e.to_string()))?,
            author: author.clone(),
            at,
        });
    }
    state.storage.put_knowledge_drafts(&rows).await?;
    for (kind, id) in drop {
        state
            .storage
            .discard_knowledge_drafts(Some((kind.as_str(), &id)))
            .await?;
    }
    Ok(summary)
}

/// Reads an import file (XLSX, CSV or JSON) and saves its items as drafts.
pub async fn import(
    state: &AppState,
    editor: Editor<'_>,
    bytes: &[u8],
) -> Result<ImportSummary, ServiceError> {
    editor.author()?;
    let items = crate::knowledge_sheet::read_items(bytes).map_err(ServiceError::Invalid)?;
    save_drafts(state, editor, items).await
}

/// Retires a published item (as a draft).
pub async fn retire(
    state: &AppState,
    editor: Editor<'_>,
    kind: ItemKind,
    id: &str,
) -> Result<(), ServiceError> {
    editor.author()?;
    let published = published_set(state).await?;
    let mut item = published
        .items
        .get(&(kind, id.to_owned()))
        .map(|s| s.item.clone())
        .ok_or(ServiceError::NotFound)?;
    match &mut item {
        Item::Entry(e) => e.retired = true,
        Item::Task(t) => t.retired = true,
    }
    save_drafts(state, editor, vec![item]).await.map(|_| ())
}

/// Drops one item's draft, or every draft.
pub async fn discard(
    state: &AppState,
    editor: Editor<'_>,
    item: Option<(ItemKind, &str)>,
) -> Result<u64, ServiceError> {
    editor.author()?;
    Ok(state
        .storage
        .discard_knowledge_drafts(item.map(|(k, id)| (k.as_str(), id)))
        .await?)
}

/// Publishes every draft as the next version, when the set they make has no
/// problem. Returns the version, or `None` when there was nothing to publish.
pub async fn publish(state: &AppState, editor: Editor<'_>) -> Result<Option<u64>, ServiceError> {
    let author = editor.author()?;
    let preview = preview_of(state).await?;
    if !preview.problems.is_empty() {
        return Err(ServiceError::Invalid(preview.problems));
    }
    match state
        .storage
        .publish_knowledge(preview.published.version, &author, crate::now())
        .await
    {
        Ok(v) => Ok(v),
        Err(StorageError::Conflict(_)) => Err(ServiceError::Refused(
            "另一位同事刚刚发布了新版本，请刷新后再发布".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// One item: its published state and its draft (either may be missing, not
/// both).
pub async fn item(
    state: &AppState,
    _reader: &Caller,
    kind: ItemKind,
    id: &str,
) -> Result<(Option<Stored>, Option<Stored>), ServiceError> {
    let history = state.storage.knowledge_history(kind.as_str(), id).await?;
    let published = history.into_iter().next().map(stored).transpose()?;
    let draft = state
        .storage
        .knowledge_drafts()
        .await?
        .into_iter()
        .find(|r| r.kind == kind.as_str() && r.id == id)
        .map(stored)
        .transpose()?;
    if published.is_none() && draft.is_none() {
        return Err(ServiceError::NotFound);
    }
    Ok((published, draft))
}

/// One line of an item's history: a published state and what it changed.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    /// The state.
    pub state: Stored,
    /// What it changed from the state before.
    pub change: ChangeKind,
}

/// Every published state of an item, newest first, each with what it changed.
pub async fn history(
    state: &AppState,
    _reader: &Caller,
    kind: ItemKind,
    id: &str,
) -> Result<Vec<HistoryLine>, ServiceError> {
    let states: Vec<Stored> = state
        .storage
        .knowledge_history(kind.as_str(), id)
        .await?
        .into_iter()
        .map(stored)
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (i, s) in states.iter().enumerate() {
        let before = states.get(i + 1).map(|b| &b.item);
        let change = change_of(before, &s.item).unwrap_or(ChangeKind::Changed(Vec::new()));
        out.push(HistoryLine {
            state: s.clone(),
            change,
        });
    }
    Ok(out)
}

/// Every published version, newest first.
pub async fn versions(
    state: &AppState,
    _reader: &Caller,
) -> Result<Vec<KnowledgeVersion>, ServiceError> {
    Ok(state.storage.knowledge_versions().await?)
}

/// Publishes a whole set as the server's administrator would: imports it as
/// drafts and publishes (the demo county and the admin API).
pub async fn import_and_publish(
    state: &AppState,
    admin: &str,
    bytes: &[u8],
) -> Result<(ImportSummary, Option<u64>), ServiceError> {
    let summary = import(state, Editor::Admin(admin), bytes).await?;
    let version = publish(state, Editor::Admin(admin)).await?;
    Ok((summary, version))
}
