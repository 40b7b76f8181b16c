//! Reading the sheets people keep: CSV from Excel or WPS (UTF-8, with or
//! without the byte-order mark, or GB18030) and XLSX (every worksheet), with
//! size guards, as the text of their cells. The catalogue and the knowledge base
//! read their files through here.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// The most rows a sheet may have (灌南's catalogue has about 1,700 rows, its
/// knowledge base about 5,100).
pub const MAX_ROWS: usize = 20_000;
/// The most bytes an XLSX file may unpack to: a small file that unpacks to
/// gigabytes is refused before it is read.
const MAX_UNPACKED: u64 = 200 * 1024 * 1024;

/// The text of a CSV file: UTF-8 (with or without the byte-order mark Excel
/// writes) or, failing that, GB18030 (what Excel and WPS save as "CSV" on a
/// Chinese Windows).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// The cells of a CSV text, row by row (at most [`MAX_ROWS`]).
pub fn csv_cells(text: &str) -> Result<Vec<Vec<String>>, Vec<String>> {
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

/// The cells of an XLSX file's first worksheet.
pub fn xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, Vec<String>> {
    xlsx_sheets(bytes)?
        .into_iter()
        .next()
        .map(|(_, cells)| cells)
        .ok_or_else(|| vec!["XLSX 文件里没有工作表".to_owned()])
}

/// A worksheet's name and the text of its cells, row by row.
pub type Sheet = (String, Vec<Vec<String>>);

/// Every worksheet of an XLSX file, by name, as the text of its cells.
pub fn xlsx_sheets(bytes: &[u8]) -> Result<Vec<Sheet>, Vec<String>> {
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
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| unreadable(&e))?;
        if range.height() > MAX_ROWS + 1 {
            return Err(vec![format!("工作表“{name}”超过 {MAX_ROWS} 行")]);
        }
        out.push((
            name,
            range
                .rows()
                .map(|row| row.iter().map(cell_text).collect())
                .collect(),
        ));
    }
    Ok(out)
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
