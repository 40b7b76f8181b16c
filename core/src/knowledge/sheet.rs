//! The sheets a county keeps its knowledge base in: one for entries
//! ([`ENTRY_HEADERS`]), one for grid tasks ([`TASK_HEADERS`]), columns in any
//! order, lists separated by `、` (or commas, semicolons, new lines). Reading
//! lists every problem by row; writing gives back the same columns, so an
//! exported sheet imports unchanged.

use std::collections::HashMap;

use super::check::Problem;
use super::{Entry, EntryKind, Frequency, GridTask, Item, ItemKind};
use crate::org::{GridKind, Role};

/// The columns of the entry sheet (知识条目).
pub const ENTRY_HEADERS: [&str; 10] = [
    "编号",
    "标题",
    "类型",
    "部门",
    "标签",
    "适用事件类别编码",
    "生效日期",
    "失效日期",
    "状态",
    "正文",
];
/// The columns the entry sheet cannot do without.
const ENTRY_REQUIRED: [&str; 4] = ["编号", "标题", "部门", "正文"];

/// The columns of the task sheet (网格事项准入清单).
pub const TASK_HEADERS: [&str; 11] = [
    "编号",
    "事项名称",
    "部门",
    "工作内容",
    "频次",
    "适用角色",
    "适用网格类型",
    "使用表单",
    "事件类别编码",
    "依据条目",
    "状态",
];
const TASK_REQUIRED: [&str; 6] = ["编号", "事项名称", "部门", "工作内容", "频次", "适用角色"];

/// The status column's words.
const LIVE: &str = "有效";
const RETIRED: &str = "废止";

/// The name of each kind's sheet (the XLSX worksheet, and the place in problems).
pub fn sheet_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Entry => "知识条目",
        ItemKind::Task => "网格事项",
    }
}

/// Which kind a sheet holds, told by its header row (a 标题 column: entries; a
/// 事项名称 column: tasks).
pub fn kind_of_header(header: &[String]) -> Option<ItemKind> {
    let has = |h: &str| header.iter().any(|c| c.trim() == h);
    if has("事项名称") {
        Some(ItemKind::Task)
    } else if has("标题") {
        Some(ItemKind::Entry)
    } else {
        None
    }
}

/// The items of a list cell or field: separated by `、`, commas, semicolons or
/// new lines, trimmed, empty ones left out.
pub fn list(cell: &str) -> Vec<String> {
    cell.split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(cell: &str) -> Option<String> {
    let cell = cell.trim();
    (!cell.is_empty()).then(|| cell.to_owned())
}

/// Reads the rows of one sheet (`cells[0]` is the header row) into items: every
/// problem of every row is listed (row numbers as the sheet shows them), with
/// ids repeated within the sheet.
pub fn read_sheet(kind: ItemKind, cells: &[Vec<String>]) -> Result<Vec<Item>, Vec<Problem>> {
    let sheet = sheet_name(kind);
    let (headers, required): (&[&str], &[&str]) = match kind {
        ItemKind::Entry => (&ENTRY_HEADERS, &ENTRY_REQUIRED),
        ItemKind::Task => (&TASK_HEADERS, &TASK_REQUIRED),
    };
    let Some(header) = cells.first() else {
        return Err(vec![Problem {
            place: sheet.to_owned(),
            text: "表格是空的".to_owned(),
        }]);
    };
    let column: HashMap<&str, usize> = headers
        .iter()
        .filter_map(|h| header.iter().position(|c| c.trim() == *h).map(|i| (*h, i)))
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .filter(|h| !column.contains_key(*h))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(vec![Problem {
            place: format!("{sheet}第 1 行"),
            text: format!(
                "应为表头，缺少列：{}（表头为：{}）",
                missing.join("、"),
                headers.join("、")
            ),
        }]);
    }
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let mut first_row: HashMap<String, usize> = HashMap::new();
    for (i, row) in cells.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = i + 1;
        // A leading ' before a formula sign is the text marker our CSV export
        // writes (and spreadsheet apps hide): not part of the text.
        let cell = |h: &str| {
            let text = column
                .get(h)
                .and_then(|c| row.get(*c))
                .map_or("", |s| s.as_str());
            match text.strip_prefix('\'') {
                Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
                _ => text,
            }
        };
        let mut own = Vec::new();
        let id = cell("编号").trim().to_owned();
        if let Some(first) = first_row.get(&id).filter(|_| !id.is_empty()) {
            own.push(format!("编号 {id} 与第 {first} 行重复"));
        } else {
            first_row.insert(id.clone(), line);
        }
        let retired = match cell("状态").trim() {
            "" | LIVE => false,
            RETIRED => true,
            other => {
                own.push(format!("状态“{other}”应为“{LIVE}”或“{RETIRED}”"));
                false
            }
        };
        let item = match kind {
            ItemKind::Entry => {
                let kind = match cell("类型").trim() {
                    "" => Some(EntryKind::Guide),
                    t => EntryKind::parse(t),
                };
                if kind.is_none() {
                    own.push(format!(
                        "类型“{}”应为：{}",
                        cell("类型").trim(),
                        EntryKind::ALL.map(EntryKind::name_zh).join("、")
                    ));
                }
                Item::Entry(Entry {
                    id,
                    kind: kind.unwrap_or(EntryKind::Guide),
                    title: cell("标题").trim().to_owned(),
                    body: cell("正文").replace("\r\n", "\n").trim().to_owned(),
                    department: cell("部门").trim().to_owned(),
                    tags: list(cell("标签")),
                    categories: list(cell("适用事件类别编码")),
                    valid_from: optional(cell("生效日期")),
                    valid_to: optional(cell("失效日期")),
                    retired,
                })
            }
            ItemKind::Task => {
                let frequency = Frequency::parse(cell("频次"));
                if frequency.is_none() {
                    own.push(format!(
                        "频次“{}”应为：{}",
                        cell("频次").trim(),
                        Frequency::ALL.map(Frequency::name_zh).join("、")
                    ));
                }
                let mut roles = Vec::new();
                for name in list(cell("适用角色")) {
                    match Role::ALL
                        .into_iter()
                        .find(|r| r.name_zh() == name || r.as_str() == name)
                    {
                        Some(r) => roles.push(r),
                        None => own.push(format!("没有“{name}”这个角色")),
                    }
                }
                let mut grid_kinds = Vec::new();
                for name in list(cell("适用网格类型")) {
                    match GridKind::parse(&name) {
                        Some(k) => grid_kinds.push(k),
                        None => own.push(format!("没有“{name}”这种网格")),
                    }
                }
                let mut forms = Vec::new();
                for name in list(cell("使用表单")) {
                    match super::TASK_FORMS
                        .iter()
                        .find(|(code, zh)| *zh == name || *code == name)
                    {
                        Some((code, _)) => forms.push((*code).to_owned()),
                        None => own.push(format!("没有“{name}”这个表单")),
                    }
                }
                Item::Task(GridTask {
                    id,
                    name: cell("事项名称").trim().to_owned(),
                    department: cell("部门").trim().to_owned(),
                    duty: cell("工作内容").replace("\r\n", "\n").trim().to_owned(),
                    frequency: frequency.unwrap_or(Frequency::AsNeeded),
                    roles,
                    grid_kinds,
                    forms,
                    categories: list(cell("事件类别编码")),
                    basis: optional(cell("依据条目")),
                    retired,
                })
            }
        };
        own.extend(super::check::item_problems(&item, None));
        problems.extend(own.into_iter().map(|text| Problem {
            place: format!("{sheet}第 {line} 行"),
            text,
        }));
        items.push(item);
    }
    if problems.is_empty() {
        Ok(items)
    } else {
        Err(problems)
    }
}

/// The cells of one item, in the order of its sheet's headers.
pub fn cells(item: &Item) -> Vec<String> {
    let status = |retired: bool| if retired { RETIRED } else { LIVE }.to_owned();
    match item {
        Item::Entry(e) => vec![
            e.id.clone(),
            e.title.clone(),
            e.kind.name_zh().to_owned(),
            e.department.clone(),
            e.tags.join("、"),
            e.categories.join("、"),
            e.valid_from.clone().unwrap_or_default(),
            e.valid_to.clone().unwrap_or_default(),
            status(e.retired),
            e.body.clone(),
        ],
        Item::Task(t) => vec![
            t.id.clone(),
            t.name.clone(),
            t.department.clone(),
            t.duty.clone(),
            t.frequency.name_zh().to_owned(),
            t.roles
                .iter()
                .map(|r| r.name_zh())
                .collect::<Vec<_>>()
                .join("、"),
            t.grid_kinds
                .iter()
                .map(|k| k.name_zh())
                .collect::<Vec<_>>()
                .join("、"),
            t.forms
                .iter()
                .map(|f| super::form_name_zh(f))
                .collect::<Vec<_>>()
                .join("、"),
            t.categories.join("、"),
            t.basis.clone().unwrap_or_default(),
            status(t.retired),
        ],
    }
}

/// The header row of a kind's sheet.
pub fn headers(kind: ItemKind) -> &'static [&'static str] {
    match kind {
        ItemKind::Entry => &ENTRY_HEADERS,
        ItemKind::Task => &TASK_HEADERS,
    }
}
