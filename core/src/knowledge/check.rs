//! Every problem of a knowledge item, or of a whole set about to be published:
//! listed all at once, in Chinese, each with where it is, so whoever fixes the
//! sheet fixes it in one pass.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use super::{
    Entry, GridTask, Item, ItemKind, MAX_BODY_CHARS, MAX_LIST, MAX_TITLE_CHARS, TASK_FORMS, body,
    valid_id,
};
use crate::incident::Catalogue;

/// One problem, with where it is (a sheet row, or an item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: `第 12 行` or `知识条目 ZS000123`.
    pub place: String,
    /// What is wrong.
    pub text: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}：{}", self.place, self.text)
    }
}

/// Where an item is, as problems name it.
pub fn place_of(kind: ItemKind, id: &str) -> String {
    format!("{} {id}", kind.name_zh())
}

fn is_date(s: &str) -> bool {
    s.parse::<jiff::civil::Date>().is_ok() && s.len() == 10
}

fn text_problems(out: &mut Vec<String>, name: &str, text: &str, max: usize) {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        out.push(format!("缺少{name}"));
    } else if chars > max {
        out.push(format!("{name}有 {chars} 字，超过 {max} 字"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        out.push(format!("{name}含有控制字符"));
    }
}

fn category_problems(out: &mut Vec<String>, codes: &[String], catalogue: Option<&Catalogue>) {
    if codes.len() > MAX_LIST {
        out.push(format!("事件类别超过 {MAX_LIST} 个"));
    }
    if let Some(catalogue) = catalogue {
        let unknown: Vec<&str> = codes
            .iter()
            .filter(|c| catalogue.find(c).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            out.push(format!("事件类别目录里没有：{}", unknown.join("、")));
        }
    }
}

/// The problems of one entry on its own (not its links' targets).
pub fn entry_problems(entry: &Entry, catalogue: Option<&Catalogue>) -> Vec<String> {
    let mut out = Vec::new();
    if !valid_id(&entry.id) {
        out.push("编号须为 1–32 位字母、数字、- 或 _".to_owned());
    }
    text_problems(&mut out, "标题", &entry.title, MAX_TITLE_CHARS);
    text_problems(&mut out, "部门", &entry.department, MAX_TITLE_CHARS);
    let chars = entry.body.chars().count();
    if entry.body.trim().is_empty() {
        out.push("缺少正文".to_owned());
    } else if chars > MAX_BODY_CHARS {
        out.push(format!("正文有 {chars} 字，超过 {MAX_BODY_CHARS} 字的上限"));
    }
    if entry.tags.len() > MAX_LIST {
        out.push(format!("标签超过 {MAX_LIST} 个"));
    }
    if entry.tags.iter().any(|t| t.chars().count() > 20) {
        out.push("标签每个不超过 20 字".to_owned());
    }
    category_problems(&mut out, &entry.categories, catalogue);
    for (name, date) in [
        ("生效日期", &entry.valid_from),
        ("失效日期", &entry.valid_to),
    ] {
        if let Some(d) = date
            && !is_date(d)
        {
            out.push(format!("{name}应为 YYYY-MM-DD 格式的日期"));
        }
    }
    if let (Some(from), Some(to)) = (&entry.valid_from, &entry.valid_to)
        && is_date(from)
        && is_date(to)
        && to < from
    {
        out.push("失效日期早于生效日期".to_owned());
    }
    let links = body::links(&entry.body);
    if links.len() > MAX_LIST {
        out.push(format!("正文链接超过 {MAX_LIST} 个"));
    }
    if links.iter().any(|l| l == &entry.id) {
        out.push("正文链接到了条目自己".to_owned());
    }
    if links.iter().any(|l| !valid_id(l)) {
        out.push("正文里有格式不对的链接（应为 [[条目编号]] 或 [[条目编号|文字]]）".to_owned());
    }
    out
}

/// The problems of one task on its own (not its basis entry).
pub fn task_problems(task: &GridTask, catalogue: Option<&Catalogue>) -> Vec<String> {
    let mut out = Vec::new();
    if !valid_id(&task.id) {
        out.push("编号须为 1–32 位字母、数字、- 或 _".to_owned());
    }
    text_problems(&mut out, "事项名称", &task.name, MAX_TITLE_CHARS);
    text_problems(&mut out, "部门", &task.department, MAX_TITLE_CHARS);
    text_problems(&mut out, "工作内容", &task.duty, 2_000);
    if task.roles.is_empty() {
        out.push("缺少适用角色".to_owned());
    }
    let unknown: Vec<&str> = task
        .forms
        .iter()
        .filter(|f| !TASK_FORMS.iter().any(|(c, _)| c == f))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        out.push(format!("没有这些表单：{}", unknown.join("、")));
    }
    category_problems(&mut out, &task.categories, catalogue);
    if let Some(basis) = &task.basis
        && !valid_id(basis)
    {
        out.push("依据条目的编号格式不对".to_owned());
    }
    out
}

/// The problems of an item on its own.
pub fn item_problems(item: &Item, catalogue: Option<&Catalogue>) -> Vec<String> {
    match item {
        Item::Entry(e) => entry_problems(e, catalogue),
        Item::Task(t) => task_problems(t, catalogue),
    }
}

/// The problems of a whole set as it would be published: each item's own, and
/// every link or basis that names an entry the set lacks or retires. `changed`
/// limits the items checked on their own to those (the published ones were
/// checked when they were published); links are checked for every live item,
/// since retiring an entry breaks the links to it.
pub fn set_problems(
    set: &BTreeMap<(ItemKind, String), Item>,
    changed: Option<&HashSet<(ItemKind, String)>>,
    catalogue: Option<&Catalogue>,
) -> Vec<Problem> {
    let live_entry = |id: &str| matches!(set.get(&(ItemKind::Entry, id.to_owned())), Some(Item::Entry(e)) if !e.retired);
    let mut out = Vec::new();
    for ((kind, id), item) in set {
        let place = || place_of(*kind, id);
        if changed.is_none_or(|c| c.contains(&(*kind, id.clone()))) {
            out.extend(
                item_problems(item, catalogue)
                    .into_iter()
                    .map(|text| Problem {
                        place: place(),
                        text,
                    }),
            );
        }
        if item.retired() {
            continue;
        }
        let targets = match item {
            Item::Entry(e) => body::links(&e.body),
            Item::Task(t) => t.basis.iter().cloned().collect(),
        };
        let missing: Vec<String> = targets
            .into_iter()
            .filter(|t| valid_id(t) && !live_entry(t))
            .collect();
        if !missing.is_empty() {
            let what = if *kind == ItemKind::Entry {
                "正文链接到"
            } else {
                "依据"
            };
            out.push(Problem {
                place: place(),
                text: format!("{what}不存在或已废止的条目：{}", missing.join("、")),
            });
        }
    }
    out
}
