//! What the phone's knowledge screens read: entries in lists, search hits with
//! their passage, one entry with its text in blocks, tasks, and the state of the
//! set on this phone.

use serde::Serialize;

use super::body::Block;
use super::{Entry, EntryKind, GridTask};

/// What a list or search narrows to (nothing set: everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgeFilter {
    /// Only this department.
    pub department: Option<String>,
    /// Only entries with this tag.
    pub tag: Option<String>,
    /// Only this kind.
    pub kind: Option<EntryKind>,
}

/// An entry in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntrySummary {
    /// Its id.
    pub id: String,
    /// What it is.
    pub kind: EntryKind,
    /// Its title.
    pub title: String,
    /// Its department.
    pub department: String,
    /// Its tags.
    pub tags: Vec<String>,
}

/// An entry a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnowledgeHit {
    /// The entry.
    pub entry: EntrySummary,
    /// Whether the title or a tag matched (these rank first).
    pub in_title: bool,
    /// The passage of the body where the query matched (the body's start when only
    /// the title did), at most about 80 characters.
    pub passage: String,
    /// Where the query's words stand in `passage`: `[start, end)` in characters.
    pub marks: Vec<[u32; 2]>,
}

/// A link in an entry's text, resolved on this phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkTarget {
    /// The entry linked to.
    pub id: String,
    /// Its title, or `None` when this phone has no such entry (retired since).
    pub title: Option<String>,
}

/// One entry to read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryView {
    /// The entry.
    pub entry: Entry,
    /// Its text as headings, paragraphs and list items.
    pub blocks: Vec<Block>,
    /// The entries it links to.
    pub links: Vec<LinkTarget>,
    /// Whether it applies today (within its validity dates).
    pub in_force: bool,
    /// The version of the knowledge base that last changed it.
    pub version: u64,
    /// Who last changed it (a name when the org tree has them, else the id).
    pub author: String,
    /// When (Unix seconds).
    pub at: i64,
    /// The grid tasks that cite it as their basis: (id, name).
    pub tasks: Vec<(String, String)>,
}

/// A grid task to read, with the title of its basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskView {
    /// The task.
    pub task: GridTask,
    /// The title of its basis entry, when this phone has it.
    pub basis_title: Option<String>,
}

/// A name and how many entries carry it (departments and tags to browse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameCount {
    /// The department or tag.
    pub name: String,
    /// How many live entries.
    pub count: u64,
}

/// The knowledge base on this phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KnowledgeStatus {
    /// The version fully downloaded (`None`: never).
    pub version: Option<u64>,
    /// Entries held.
    pub entries: u64,
    /// Tasks held.
    pub tasks: u64,
    /// A download in progress: the version it brings.
    pub downloading_to: Option<u64>,
    /// Items of that download received so far, of `download_total`.
    pub download_fetched: u64,
    /// Items that download brings.
    pub download_total: u64,
}
