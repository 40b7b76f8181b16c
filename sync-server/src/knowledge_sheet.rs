//! The knowledge base as the files a county keeps it in: an XLSX workbook with a
//! 知识条目 sheet and a 网格事项 sheet (either may be left out), a CSV of one of
//! them (told apart by its header), or the JSON the API speaks
//! (`{"entries": [...], "tasks": [...]}`). Reading lists every problem of every
//! row; writing gives back the same columns, so an export imports unchanged.

use fieldgrid_core::knowledge::sheet::{cells, headers, kind_of_header, read_sheet, sheet_name};
use fieldgrid_core::knowledge::{Entry, GridTask, Item, ItemKind};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

use crate::sheet::{csv_cells, decode, xlsx_sheets};

/// The knowledge base as JSON.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct KnowledgeFile {
    /// Entries.
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// Grid tasks.
    #[serde(default)]
    pub tasks: Vec<GridTask>,
}

/// The most bytes an import file may have.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Reads the items of a file: every problem, each with its sheet and row.
pub fn read_items(bytes: &[u8]) -> Result<Vec<Item>, Vec<String>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![format!(
            "文件有 {} MB，超过 {} MB 的上限",
            bytes.len() / 1024 / 1024,
            MAX_FILE_BYTES / 1024 / 1024
        )]);
    }
    if bytes.is_empty() {
        return Err(vec!["文件是空的".to_owned()]);
    }
    let sheets: Vec<crate::sheet::Sheet> = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_sheets(bytes)?
    } else {
        let text = decode(bytes);
        if text.trim_start().starts_with('{') {
            let file: KnowledgeFile = serde_json::from_str(&text)
                .map_err(|e| vec![format!("不是有效的知识库 JSON：{e}")])?;
            return Ok(file
                .entries
                .into_iter()
                .map(Item::Entry)
                .chain(file.tasks.into_iter().map(Item::Task))
                .collect());
        }
        vec![(String::new(), csv_cells(&text)?)]
    };
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let mut known = 0;
    for (name, cells) in &sheets {
        let kind = [ItemKind::Entry, ItemKind::Task]
            .into_iter()
            .find(|k| sheet_name(*k) == name.trim())
            .or_else(|| cells.first().and_then(|h| kind_of_header(h)));
        let Some(kind) = kind else {
            if cells.iter().any(|r| r.iter().any(|c| !c.trim().is_empty())) && sheets.len() == 1 {
                problems.push(
                    "第 1 行应为表头：知识条目表须有“标题”列，网格事项表须有“事项名称”列"
                        .to_owned(),
                );
            }
            continue;
        };
        known += 1;
        match read_sheet(kind, cells) {
            Ok(found) => items.extend(found),
            Err(p) => problems.extend(p.iter().map(ToString::to_string)),
        }
    }
    if known == 0 && problems.is_empty() {
        problems.push("文件里没有知识条目表或网格事项表".to_owned());
    }
    if problems.is_empty() {
        Ok(items)
    } else {
        Err(problems)
    }
}

/// The items as a workbook: a 知识条目 sheet and a 网格事项 sheet.
pub fn workbook(items: &[Item]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for kind in [ItemKind::Entry, ItemKind::Task] {
        let sheet = book.add_worksheet().set_name(sheet_name(kind))?;
        for (c, h) in headers(kind).iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (row, item) in (1u32..).zip(items.iter().filter(|i| i.kind() == kind)) {
            for (c, text) in cells(item).iter().enumerate() {
                if text.contains('\n') {
                    sheet.write_string_with_format(row, c as u16, text, &wrap)?;
                } else {
                    sheet.write_string(row, c as u16, text)?;
                }
            }
        }
        sheet.set_column_width(1, 36)?;
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

/// The rows of one kind's sheet (for a CSV), headers first.
pub fn rows(items: &[Item], kind: ItemKind) -> (Vec<&'static str>, Vec<Vec<String>>) {
    (
        headers(kind).to_vec(),
        items
            .iter()
            .filter(|i| i.kind() == kind)
            .map(cells)
            .collect(),
    )
}
