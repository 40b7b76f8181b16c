//! The knowledge base (知识库) and the list of tasks admitted into grid work
//! (网格事项准入清单): what a grid worker needs at a door with no signal.
//!
//! A county keeps both as reference data made of many small items: knowledge
//! [`Entry`]s (a department's functions, laws and policies, approval services,
//! how-to guides, frequent questions) and [`GridTask`]s (what a worker must do,
//! for which department, how often). Unlike the other reference data they are not
//! published whole: each item is published as a [`Revision`] at a version of the
//! whole base, and a phone holding version N fetches only the revisions after N
//! ([`crate::protocol::KnowledgePage`]), keeping its old set until the new one is
//! complete.
//!
//! This module holds the items and their rules (pure code): [`body`] parses an
//! entry's text into headings, paragraphs, list items and links to other
//! entries; [`check`] lists every problem of an item or of a whole set;
//! [`sheet`] reads and writes the rows of the sheets a county keeps; [`views`]
//! holds what the phone's screens read.

pub mod body;
pub mod check;
pub mod sheet;
#[cfg(test)]
mod tests;
pub mod views;

use serde::{Deserialize, Serialize};

use crate::org::{GridKind, Role};

/// The name of the knowledge base among the reference data versions the sync
/// reports (`/v1/sync`'s `reference`); its items come from `/v1/knowledge`.
pub const KNOWLEDGE: &str = "knowledge";

/// The longest entry body, in characters (about ten printed pages).
pub const MAX_BODY_CHARS: usize = 20_000;
/// The longest title or task name, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// The most tags, categories or links one item may carry.
pub const MAX_LIST: usize = 30;

/// What an entry is (the kinds a county's knowledge base is sorted into).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// 机构职能: what a department does.
    Function,
    /// 法规政策: a law, a regulation or a policy document.
    Law,
    /// 审批服务: an approval or public service item.
    Service,
    /// 办事指南: how to get something done, step by step.
    Guide,
    /// 热点问答: a frequent question and its answer.
    Faq,
}

impl EntryKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [EntryKind; 5] = [
        EntryKind::Guide,
        EntryKind::Faq,
        EntryKind::Service,
        EntryKind::Law,
        EntryKind::Function,
    ];

    /// The code in the API and in exports' code columns.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Function => "function",
            EntryKind::Law => "law",
            EntryKind::Service => "service",
            EntryKind::Guide => "guide",
            EntryKind::Faq => "faq",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            EntryKind::Function => "机构职能",
            EntryKind::Law => "法规政策",
            EntryKind::Service => "审批服务",
            EntryKind::Guide => "办事指南",
            EntryKind::Faq => "热点问答",
        }
    }

    /// The kind with this code or Chinese name.
    pub fn parse(text: &str) -> Option<EntryKind> {
        let text = text.trim();
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text || k.name_zh() == text)
    }
}

/// How often a grid task is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// 每日.
    Daily,
    /// 每周.
    Weekly,
    /// 每月.
    Monthly,
    /// 每季度.
    Quarterly,
    /// 每年.
    Yearly,
    /// 随时（发现即报）: whenever the situation arises.
    AsNeeded,
}

impl Frequency {
    /// Every frequency, most frequent first.
    pub const ALL: [Frequency; 6] = [
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Yearly,
        Frequency::AsNeeded,
    ];

    /// The code in the API and in exports' code columns.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
            Frequency::AsNeeded => "as_needed",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Frequency::Daily => "每日",
            Frequency::Weekly => "每周",
            Frequency::Monthly => "每月",
            Frequency::Quarterly => "每季度",
            Frequency::Yearly => "每年",
            Frequency::AsNeeded => "随时",
        }
    }

    /// The frequency with this code or Chinese name.
    pub fn parse(text: &str) -> Option<Frequency> {
        let text = text.trim();
        Frequency::ALL
            .into_iter()
            .find(|f| f.as_str() == text || f.name_zh() == text)
    }
}

/// The forms a grid task may use.
pub const TASK_FORMS: [(&str, &str); 4] = [
    ("household", "住户信息"),
    ("person", "人员信息"),
    ("patrol", "巡查日志"),
    ("incident", "事件上报"),
];

/// The Chinese name of a task form code (the code itself when unknown).
pub fn form_name_zh(code: &str) -> &str {
    TASK_FORMS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

/// One knowledge entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id: 1 to 32 letters, digits, `-` or `_` (a county's own numbering,
    /// e.g. `ZS000123`).
    pub id: String,
    /// What it is.
    pub kind: EntryKind,
    /// Its title.
    pub title: String,
    /// Its text: plain lines, `# ` headings, `- ` list items, `[[ZS000123]]` or
    /// `[[ZS000123|text]]` links to other entries (see [`body`]).
    pub body: String,
    /// The department it belongs to, by name (县民政局).
    pub department: String,
    /// Tags for browsing.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The incident category codes it helps with (a category's guidance also
    /// shows the entries of the categories above it).
    #[serde(default)]
    pub categories: Vec<String>,
    /// The first day it applies (`YYYY-MM-DD`), if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// The last day it applies (`YYYY-MM-DD`), if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// Retired (废止): kept in the history, gone from phones.
    #[serde(default)]
    pub retired: bool,
}

impl Entry {
    /// Whether it applies on `day` (`YYYY-MM-DD`): within its validity dates.
    pub fn valid_on(&self, day: &str) -> bool {
        self.valid_from.as_deref().is_none_or(|f| f <= day)
            && self.valid_to.as_deref().is_none_or(|t| day <= t)
    }
}

/// One task admitted into grid work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridTask {
    /// Its id: 1 to 32 letters, digits, `-` or `_` (`SX001`).
    pub id: String,
    /// Its name (事项名称).
    pub name: String,
    /// The department that asked for it, by name.
    pub department: String,
    /// What the worker does (工作内容).
    pub duty: String,
    /// How often.
    pub frequency: Frequency,
    /// The roles that do it.
    pub roles: Vec<Role>,
    /// The kinds of grid it applies to (every kind when empty).
    #[serde(default)]
    pub grid_kinds: Vec<GridKind>,
    /// The forms it uses (codes of [`TASK_FORMS`]).
    #[serde(default)]
    pub forms: Vec<String>,
    /// The incident category codes it reports under.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The entry giving its legal basis (依据).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Retired (退出清单).
    #[serde(default)]
    pub retired: bool,
}

impl GridTask {
    /// Whether someone holding `roles` in grids of `kinds` does this task.
    pub fn applies_to(&self, roles: &[Role], kinds: &[GridKind]) -> bool {
        !self.retired
            && self.roles.iter().any(|r| roles.contains(r))
            && (self.grid_kinds.is_empty() || self.grid_kinds.iter().any(|k| kinds.contains(k)))
    }
}

/// An entry or a task: one item of the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// A knowledge entry.
    Entry(Entry),
    /// A grid task.
    Task(GridTask),
}

impl Item {
    /// `entry` or `task`.
    pub fn kind(&self) -> ItemKind {
        match self {
            Item::Entry(_) => ItemKind::Entry,
            Item::Task(_) => ItemKind::Task,
        }
    }

    /// Its id.
    pub fn id(&self) -> &str {
        match self {
            Item::Entry(e) => &e.id,
            Item::Task(t) => &t.id,
        }
    }

    /// Its title or name.
    pub fn title(&self) -> &str {
        match self {
            Item::Entry(e) => &e.title,
            Item::Task(t) => &t.name,
        }
    }

    /// Whether it is retired.
    pub fn retired(&self) -> bool {
        match self {
            Item::Entry(e) => e.retired,
            Item::Task(t) => t.retired,
        }
    }

    /// The names of the fields that differ from `before` (in Chinese, for the
    /// history and the preview).
    pub fn changed_fields(&self, before: &Item) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut diff = |same: bool, name: &'static str| {
            if !same {
                out.push(name);
            }
        };
        match (self, before) {
            (Item::Entry(a), Item::Entry(b)) => {
                diff(a.kind == b.kind, "类型");
                diff(a.title == b.title, "标题");
                diff(a.department == b.department, "部门");
                diff(a.tags == b.tags, "标签");
                diff(a.categories == b.categories, "适用事件类别");
                diff(
                    a.valid_from == b.valid_from && a.valid_to == b.valid_to,
                    "有效期",
                );
                diff(a.retired == b.retired, "状态");
                diff(a.body == b.body, "正文");
            }
            (Item::Task(a), Item::Task(b)) => {
                diff(a.name == b.name, "事项名称");
                diff(a.department == b.department, "部门");
                diff(a.duty == b.duty, "工作内容");
                diff(a.frequency == b.frequency, "频次");
                diff(a.roles == b.roles, "适用角色");
                diff(a.grid_kinds == b.grid_kinds, "适用网格");
                diff(a.forms == b.forms, "使用表单");
                diff(a.categories == b.categories, "事件类别");
                diff(a.basis == b.basis, "依据");
                diff(a.retired == b.retired, "状态");
            }
            _ => out.push("类型"),
        }
        out
    }
}

/// Entry or task: the two kinds of item, as named in storage and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A knowledge entry.
    Entry,
    /// A grid task.
    Task,
}

impl ItemKind {
    /// `entry` or `task`.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Entry => "entry",
            ItemKind::Task => "task",
        }
    }

    /// The kind with this name.
    pub fn parse(s: &str) -> Option<ItemKind> {
        match s {
            "entry" => Some(ItemKind::Entry),
            "task" => Some(ItemKind::Task),
            _ => None,
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            ItemKind::Entry => "知识条目",
            ItemKind::Task => "网格事项",
        }
    }
}

/// One published state of an item: the item as it stood at `version` of the
/// knowledge base, who changed it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The version of the knowledge base that published it.
    pub version: u64,
    /// The staff id of whoever made the change.
    pub author: String,
    /// When the change was made (Unix seconds).
    pub at: i64,
    /// The item.
    pub item: Item,
}

/// Whether `id` is a usable item id: 1 to 32 ASCII letters, digits, `-` or `_`.
pub fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether category `code` is `of` or lies under it (`service.assistance.dibao`
/// under `service`).
pub fn category_within(code: &str, of: &str) -> bool {
    code == of
        || code
            .strip_prefix(of)
            .is_some_and(|rest| rest.starts_with('.'))
}
