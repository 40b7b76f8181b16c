//! Reading a category catalogue from the file a township keeps: the JSON the API
//! speaks, or the sheet (CSV from Excel or WPS, in UTF-8 or GB18030, or XLSX)
//! with the columns of [`CATALOGUE_HEADERS`] in any order. Every problem is
//! listed, in Chinese, with its row.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use fieldgrid_core::incident::{CATALOGUE_HEADERS, Catalogue, CatalogueRow};

/// The most rows a sheet may have (灌南's catalogue has about 1,700).
pub const MAX_ROWS: usize = 20_000;
/// The most bytes an XLSX file may unpack to: a small file that unpacks to
/// gigabytes is refused before it is read.
const MAX_UNPACKED: u64 = 200 * 1024 * 1024;

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

/// The text of a CSV file: UTF-8 (with or without the byte-order mark Excel
/// writes) or, failing that, GB18030 (what Excel and WPS save as "CSV" on a
/// Chinese Windows).
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn csv_cells(text: &str) -> Result<Vec<Vec<String>>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if i > MAX_ROWS {
            return Err(vec![format!("表格超过 {MAX_ROWS} 行")]);
        }
        let record = record.map_err(|e| vec![format!("第 {} 行：CSV 格式有误：{e}", i + 1)])?;
        out.push(record.iter().map(str::to_owned).collect());
    }
    Ok(out)
}

fn xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, Vec<String>> {
    let unreadable = |e: &dyn std::fmt::Display| vec![format!("无法读取 XLSX 文件：{e}")];
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut unpacked = 0u64;
    for i in 0..zip.len() {
        unpacked += zip.by_index_raw(i).map_err(|e| unreadable(&e))?.size();
    }
    if unpacked > MAX_UNPACKED {
        return Err(vec![format!(
            "XLSX 文件解压后有 {} MB，超过 {} MB 的上限",
            unpacked / 1024 / 1024,
            MAX_UNPACKED / 1024 / 1024
        )]);
    }
    let mut book: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| vec!["XLSX 文件里没有工作表".to_owned()])?
        .map_err(|e| unreadable(&e))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(vec![format!("表格超过 {MAX_ROWS} 行")]);
    }
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Excel counts days from 1899-12-30.
            let days = d.as_f64().floor() as i64;
            jiff::civil::date(1899, 12, 30)
                .checked_add(jiff::Span::new().days(days))
                .map(|date| date.to_string())
                .unwrap_or_default()
        }
    }
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
