//! Reading a category catalogue from the file a township keeps: the JSON the API
//! speaks, or the sheet (CSV from Excel or WPS, in UTF-8 or GB18030, or XLSX)
//! with the columns of [`CATALOGUE_HEADERS`] in any order. Every problem is
//! listed, in Chinese, with its row.

use fieldgrid_core::incident::{CATALOGUE_HEADERS, Catalogue, CatalogueRow};

use crate::sheet::{csv_cells, decode, xlsx_cells};

pub use crate::sheet::MAX_ROWS;

/// Reads a catalogue from `bytes`. A sheet becomes version `version`; JSON
/// carries its own.
pub fn read_catalogue(bytes: &[u8], version: u64) -> Result<Catalogue, Vec<String>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Catalogue::from_rows(version, &rows_of(xlsx_cells(bytes)?)?);
    }
    let text = decode(bytes);
    if text.trim_start().starts_with('{') {
        let catalogue: Catalogue = serde_json::from_str(&text)
            .map_err(|e| vec![format!("不是有效的类别目录 JSON：{e}")])?;
        let problems = catalogue.problems();
        return if problems.is_empty() {
            Ok(catalogue)
        } else {
            Err(problems)
        };
    }
    Catalogue::from_rows(version, &rows_of(csv_cells(&text)?)?)
}

/// Sheet rows by header: the first row names the columns; 编码, 名称 and 上级编码
/// must be among them.
fn rows_of(cells: Vec<Vec<String>>) -> Result<Vec<CatalogueRow>, Vec<String>> {
    let mut lines = cells.into_iter();
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| vec!["表格是空的".to_owned()])?
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let columns: Vec<Option<usize>> = CATALOGUE_HEADERS
        .iter()
        .map(|want| header.iter().position(|h| h == want))
        .collect();
    let missing: Vec<&str> = CATALOGUE_HEADERS[..3]
        .iter()
        .zip(&columns)
        .filter(|(_, c)| c.is_none())
        .map(|(h, _)| *h)
        .collect();
    if !missing.is_empty() {
        return Err(vec![format!(
            "第 1 行应为表头，缺少列：{}（表头为：{}）",
            missing.join("、"),
            CATALOGUE_HEADERS.join("、")
        )]);
    }
    Ok(lines
        .enumerate()
        .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, row)| {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| c.and_then(|c| row.get(c).cloned()).unwrap_or_default())
                .collect();
            CatalogueRow::from_cells(i + 2, &cells)
        })
        .collect())
}
