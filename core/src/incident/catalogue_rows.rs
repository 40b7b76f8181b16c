//! The catalogue as the rows of a township's spreadsheet: one category per row,
//! its parent named by code. Reading rows back into a catalogue lists every
//! problem with its row number, in Chinese, for the people who keep the sheet.

use std::collections::{BTreeMap, HashMap};

use super::catalogue::{Catalogue, Category, Grade};
use super::deadlines::StageDeadlines;

/// The column headers, in order, as a township's sheet has them.
pub const CATALOGUE_HEADERS: [&str; 9] = [
    "编码",
    "名称",
    "上级编码",
    "派遣时限(天)",
    "办结时限(天)",
    "默认等级",
    "默认处置单位",
    "停用日期",
    "英文名称",
];

/// One row of a catalogue sheet, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueRow {
    /// Where the row stands in the file (1 is the header), for messages.
    pub line: usize,
    /// 编码.
    pub code: String,
    /// 名称.
    pub name: String,
    /// 上级编码 (empty for a first-level category).
    pub parent: String,
    /// 派遣时限(天) (empty: inherited).
    pub dispatch_days: String,
    /// 办结时限(天) (empty: inherited).
    pub resolve_days: String,
    /// 默认等级: 一般, 较大 or 重大 (empty: inherited).
    pub grade: String,
    /// 默认处置单位: a unit code (empty: inherited).
    pub unit: String,
    /// 停用日期: `YYYY-MM-DD` (empty: in use).
    pub retired_on: String,
    /// 英文名称.
    pub name_en: String,
}

impl CatalogueRow {
    /// A row from its cells in [`CATALOGUE_HEADERS`] order (missing cells are
    /// empty); every cell trimmed.
    pub fn from_cells(line: usize, cells: &[String]) -> CatalogueRow {
        let cell = |i: usize| {
            cells
                .get(i)
                .map(|c| c.trim().to_owned())
                .unwrap_or_default()
        };
        CatalogueRow {
            line,
            code: cell(0),
            name: cell(1),
            parent: cell(2),
            dispatch_days: cell(3),
            resolve_days: cell(4),
            grade: cell(5),
            unit: cell(6),
            retired_on: cell(7),
            name_en: cell(8),
        }
    }

    /// The cells in [`CATALOGUE_HEADERS`] order.
    pub fn cells(&self) -> [&str; 9] {
        [
            &self.code,
            &self.name,
            &self.parent,
            &self.dispatch_days,
            &self.resolve_days,
            &self.grade,
            &self.unit,
            &self.retired_on,
            &self.name_en,
        ]
    }
}

/// A day count cell: empty, or a whole number of days.
fn days(row: &CatalogueRow, header: &str, text: &str, out: &mut Vec<String>) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=365).contains(&n) => Some(n),
        _ => {
            out.push(format!(
                "第 {} 行（{}）：{header} {text:?} 应为 1 到 365 的整数",
                row.line, row.code
            ));
            None
        }
    }
}

impl Catalogue {
    /// Reads a catalogue from sheet rows. Every problem of every row is listed
    /// (empty codes or names, a code used twice, a parent that is not in the sheet,
    /// parents that loop, more than three levels, bad deadlines, grades or dates),
    /// then the rules of [`Catalogue::problems`]; nothing is returned unless there
    /// is none.
    pub fn from_rows(version: u64, rows: &[CatalogueRow]) -> Result<Catalogue, Vec<String>> {
        let mut out = Vec::new();
        let mut lines: HashMap<&str, usize> = HashMap::new();
        for row in rows {
            if row.code.is_empty() {
                out.push(format!("第 {} 行：没有编码", row.line));
                continue;
            }
            if row.name.is_empty() {
                out.push(format!("第 {} 行（{}）：没有名称", row.line, row.code));
            }
            if let Some(first) = lines.insert(&row.code, row.line) {
                out.push(format!(
                    "第 {} 行：编码 {} 与第 {first} 行重复",
                    row.line, row.code
                ));
                lines.insert(&row.code, first);
            }
        }
        let parent_of: HashMap<&str, &str> = rows
            .iter()
            .filter(|r| !r.code.is_empty() && !r.parent.is_empty())
            .map(|r| (r.code.as_str(), r.parent.as_str()))
            .collect();
        let mut depth_of: HashMap<&str, usize> = HashMap::new();
        for row in rows.iter().filter(|r| !r.code.is_empty()) {
            // Follow the parents up: to a first-level category, a missing parent,
            // or back to a code already on the way (a loop).
            let mut chain = vec![row.code.as_str()];
            let mut at = row.code.as_str();
            let mut broken = false;
            while let Some(&parent) = parent_of.get(at) {
                if chain.contains(&parent) {
                    if parent == row.code {
                        chain.push(parent);
                        out.push(format!(
                            "第 {} 行（{}）：上级编码成环：{}",
                            row.line,
                            row.code,
                            chain.join(" → ")
                        ));
                    }
                    broken = true;
                    break;
                }
                if !lines.contains_key(parent) {
                    if at == row.code {
                        out.push(format!(
                            "第 {} 行（{}）：上级编码 {parent} 不在表中",
                            row.line, row.code
                        ));
                    }
                    broken = true;
                    break;
                }
                chain.push(parent);
                at = parent;
            }
            if !broken {
                depth_of.insert(&row.code, chain.len());
                if chain.len() > 3 {
                    out.push(format!(
                        "第 {} 行（{}）：超过三级（{}）",
                        row.line,
                        row.code,
                        chain.iter().rev().copied().collect::<Vec<_>>().join(" → ")
                    ));
                }
            }
        }
        let mut built: BTreeMap<usize, Category> = BTreeMap::new();
        let mut order = Vec::new();
        for row in rows.iter().filter(|r| !r.code.is_empty()) {
            let dispatch = days(row, CATALOGUE_HEADERS[3], &row.dispatch_days, &mut out);
            let resolve = days(row, CATALOGUE_HEADERS[4], &row.resolve_days, &mut out);
            let deadlines = match (dispatch, resolve) {
                (Some(dispatch_days), Some(resolve_days)) => {
                    if dispatch_days > resolve_days {
                        out.push(format!(
                            "第 {} 行（{}）：派遣时限不能长于办结时限",
                            row.line, row.code
                        ));
                    }
                    Some(StageDeadlines {
                        dispatch_days,
                        resolve_days,
                    })
                }
                _ => {
                    if row.dispatch_days.is_empty() != row.resolve_days.is_empty() {
                        out.push(format!(
                            "第 {} 行（{}）：派遣时限和办结时限要么都填，要么都空",
                            row.line, row.code
                        ));
                    }
                    None
                }
            };
            let grade = if row.grade.is_empty() {
                None
            } else {
                let grade = Grade::parse(&row.grade);
                if grade.is_none() {
                    out.push(format!(
                        "第 {} 行（{}）：默认等级 {:?} 应为 一般、较大 或 重大",
                        row.line, row.code, row.grade
                    ));
                }
                grade
            };
            let retired_on = if row.retired_on.is_empty() {
                None
            } else if crate::time::parse_date(&row.retired_on).is_none() {
                out.push(format!(
                    "第 {} 行（{}）：停用日期 {:?} 应为 YYYY-MM-DD",
                    row.line, row.code, row.retired_on
                ));
                None
            } else {
                Some(row.retired_on.clone())
            };
            if lines.get(row.code.as_str()) != Some(&row.line) {
                continue; // a repeated code, already reported
            }
            order.push(row);
            built.insert(
                row.line,
                Category {
                    code: row.code.clone(),
                    name: row.name.clone(),
                    name_en: row.name_en.clone(),
                    deadlines,
                    grade,
                    unit: (!row.unit.is_empty()).then(|| row.unit.clone()),
                    retired_on,
                    children: Vec::new(),
                },
            );
        }
        if !out.is_empty() {
            return Err(out);
        }
        // Attach children to parents, deepest first, keeping the sheet's order.
        let mut by_depth: Vec<&&CatalogueRow> = order.iter().collect();
        by_depth.sort_by_key(|r| std::cmp::Reverse(depth_of.get(r.code.as_str()).copied()));
        for row in by_depth {
            if row.parent.is_empty() {
                continue;
            }
            let child = built.remove(&row.line).expect("each row built once");
            let parent_line = lines[row.parent.as_str()];
            let parent = built.get_mut(&parent_line).expect("parents are kept");
            parent.children.push(child);
        }
        // Children were attached deepest first; put them back in the sheet's order.
        fn sort(c: &mut Category, line_of: &HashMap<&str, usize>) {
            c.children
                .sort_by_key(|k| line_of.get(k.code.as_str()).copied().unwrap_or(0));
            for k in &mut c.children {
                sort(k, line_of);
            }
        }
        let mut categories: Vec<Category> = built.into_values().collect();
        for c in &mut categories {
            sort(c, &lines);
        }
        let catalogue = Catalogue {
            version,
            default_deadlines: StageDeadlines::default(),
            categories,
        };
        let problems = catalogue.problems();
        if problems.is_empty() {
            Ok(catalogue)
        } else {
            Err(problems)
        }
    }

    /// The catalogue as sheet rows, parents before their children.
    pub fn to_rows(&self) -> Vec<CatalogueRow> {
        let mut rows = Vec::new();
        fn walk(c: &Category, parent: &str, rows: &mut Vec<CatalogueRow>) {
            let (dispatch, resolve) = c
                .deadlines
                .map(|d| (d.dispatch_days.to_string(), d.resolve_days.to_string()))
                .unwrap_or_default();
            rows.push(CatalogueRow {
                line: rows.len() + 2,
                code: c.code.clone(),
                name: c.name.clone(),
                parent: parent.to_owned(),
                dispatch_days: dispatch,
                resolve_days: resolve,
                grade: c.grade.map(|g| g.name_zh().to_owned()).unwrap_or_default(),
                unit: c.unit.clone().unwrap_or_default(),
                retired_on: c.retired_on.clone().unwrap_or_default(),
                name_en: c.name_en.clone(),
            });
            for k in &c.children {
                walk(k, &c.code, rows);
            }
        }
        for c in &self.categories {
            walk(c, "", &mut rows);
        }
        rows
    }
}

/// Rows of a generated catalogue of `first`, `second` and `third` categories per
/// level, named after the default catalogue's categories (for size tests and the
/// publishing benchmark; a real township's sheet is its own).
#[cfg(any(test, feature = "demo"))]
pub fn generated_rows(first: usize, second: usize, third: usize) -> Vec<CatalogueRow> {
    let base = super::default_catalogue();
    let names: Vec<&str> = base.all().iter().map(|(_, c)| c.name.as_str()).collect();
    let mut rows = Vec::new();
    let mut push = |code: String, name: String, parent: String, deadlines: bool| {
        rows.push(CatalogueRow {
            line: rows.len() + 2,
            code,
            name,
            parent,
            dispatch_days: if deadlines { "1".into() } else { String::new() },
            resolve_days: if deadlines { "5".into() } else { String::new() },
            ..CatalogueRow::default()
        });
    };
    for a in 0..first {
        let code_a = format!("{:02}", a + 1);
        push(
            code_a.clone(),
            names[a % names.len()].to_owned(),
            String::new(),
            true,
        );
        let seconds = second / first + usize::from(a < second % first);
        for b in 0..seconds {
            let code_b = format!("{code_a}{:02}", b + 1);
            let n = a * 13 + b;
            push(
                code_b.clone(),
                format!("{}类", names[n % names.len()]),
                code_a.clone(),
                false,
            );
            let index = rows_before(a, b, first, second);
            let thirds = third / second + usize::from(index < third % second);
            for c in 0..thirds {
                let m = n * 7 + c;
                push(
                    format!("{code_b}{:03}", c + 1),
                    format!("{}（{}）", names[m % names.len()], c + 1),
                    code_b.clone(),
                    false,
                );
            }
        }
    }
    rows
}

/// The position of second-level category `b` of first-level `a` among all of them.
#[cfg(any(test, feature = "demo"))]
fn rows_before(a: usize, b: usize, first: usize, second: usize) -> usize {
    (0..a)
        .map(|x| second / first + usize::from(x < second % first))
        .sum::<usize>()
        + b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: usize, cells: &[&str]) -> CatalogueRow {
        let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        CatalogueRow::from_cells(line, &cells)
    }

    #[test]
    fn the_shipped_sheet_is_the_default_catalogue() {
        let text = include_str!("../../forms/catalogue.csv");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(header, CATALOGUE_HEADERS);
        let rows: Vec<CatalogueRow> = lines
            .enumerate()
            .map(|(i, l)| {
                let cells: Vec<String> = l.split(',').map(str::to_owned).collect();
                CatalogueRow::from_cells(i + 2, &cells)
            })
            .collect();
        let from_sheet = Catalogue::from_rows(2, &rows).unwrap();
        assert_eq!(from_sheet, crate::incident::default_catalogue());
        assert_eq!(from_sheet.counts(), [11, 79, 304]);
        // And back: the rows a catalogue writes read as the same catalogue.
        assert_eq!(
            Catalogue::from_rows(2, &from_sheet.to_rows()).unwrap(),
            from_sheet
        );
    }

    #[test]
    fn every_problem_of_a_bad_sheet_is_listed_with_its_row() {
        let rows = vec![
            row(2, &["01", "矛盾纠纷", "", "1", "5"]),
            row(3, &["0101", "邻里纠纷", "01"]),
            row(4, &["0101", "重复的", "01"]),
            row(5, &["0102", "", "01"]),
            row(6, &["0199", "无上级", "0188"]),
            row(7, &["02", "环", "03"]),
            row(8, &["03", "环", "02"]),
            row(9, &["0103", "时限", "01", "0", "x"]),
            row(10, &["0104", "时限", "01", "5", "2"]),
            row(11, &["0105", "时限", "01", "2"]),
            row(12, &["0106", "等级", "01", "", "", "特大"]),
            row(13, &["0107", "停用", "01", "", "", "", "", "2026/1/1"]),
            row(14, &["010101", "三级", "0101"]),
            row(15, &["01010101", "四级", "010101"]),
            row(16, &["", "无编码"]),
        ];
        let problems = Catalogue::from_rows(3, &rows).unwrap_err();
        let text = problems.join("\n");
        for expected in [
            "第 4 行：编码 0101 与第 3 行重复",
            "第 5 行（0102）：没有名称",
            "第 6 行（0199）：上级编码 0188 不在表中",
            "第 7 行（02）：上级编码成环：02 → 03 → 02",
            "第 8 行（03）：上级编码成环：03 → 02 → 03",
            "第 9 行（0103）：派遣时限(天) \"0\" 应为 1 到 365 的整数",
            "第 9 行（0103）：办结时限(天) \"x\" 应为 1 到 365 的整数",
            "第 10 行（0104）：派遣时限不能长于办结时限",
            "第 11 行（0105）：派遣时限和办结时限要么都填，要么都空",
            "第 12 行（0106）：默认等级 \"特大\" 应为 一般、较大 或 重大",
            "第 13 行（0107）：停用日期 \"2026/1/1\" 应为 YYYY-MM-DD",
            "第 15 行（01010101）：超过三级（01 → 0101 → 010101 → 01010101）",
            "第 16 行：没有编码",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert_eq!(problems.len(), 13, "{text}");
    }

    #[test]
    fn a_county_sized_catalogue_reads_whole() {
        for (first, second, third) in [(11, 79, 1603), (3, 7, 20)] {
            let rows = generated_rows(first, second, third);
            let catalogue = Catalogue::from_rows(9, &rows).unwrap();
            assert_eq!(catalogue.counts(), [first, second, third]);
            assert_eq!(catalogue.to_rows().len(), rows.len());
        }
    }
}
