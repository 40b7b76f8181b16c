//! Periodic reports as an XLSX workbook (rust_xlsxwriter) that opens in WPS and
//! Excel: sheets 汇总, 分组, 渠道, 类别, 超期清单, 趋势, Chinese headers, rates as
//! numbers formatted as percentages, code columns beside the names.

use fieldgrid_core::assessment::{CaseRow, PeriodReport};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The grouped table's headers (the CSV's too).
pub const GROUP_HEADERS: [&str; 13] = [
    "名称",
    "编码",
    "考核期",
    "受理量",
    "已受理",
    "受理率",
    "已办结",
    "按时办结率",
    "办结率",
    "满意率",
    "当前超期",
    "上期受理量",
    "上期办结率",
];

/// The report as an XLSX workbook: 汇总, 分组, 渠道, 类别, 超期清单, 趋势. `names`
/// gives an overdue case's category path, grid, lead unit and report time.
pub fn workbook(
    r: &PeriodReport,
    names: &dyn Fn(&CaseRow) -> [String; 4],
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let rate = |sheet: &mut rust_xlsxwriter::Worksheet,
                row: u32,
                col: u16,
                v: Option<f64>|
     -> Result<(), XlsxError> {
        if let Some(v) = v {
            sheet.write_number_with_format(row, col, v, &percent)?;
        }
        Ok(())
    };
    {
        let s = book.add_worksheet().set_name("汇总")?;
        s.write_string_with_format(
            0,
            0,
            format!("{} {}", r.period.label_zh(), r.period.kind().report_zh()),
            &bold,
        )?;
        for (c, h) in ["指标", "本期", "上期"].iter().enumerate() {
            s.write_string_with_format(2, c as u16, *h, &bold)?;
        }
        let (t, b) = (&r.totals, &r.previous_totals);
        let counts = [
            ("受理量", t.received, b.received),
            ("已受理", t.accepted, b.accepted),
            ("已办结", t.closed, b.closed),
            ("当前超期", t.overdue_now, b.overdue_now),
        ];
        let mut row = 3;
        for (name, n, p) in counts {
            s.write_string(row, 0, name)?;
            s.write_number(row, 1, n as f64)?;
            s.write_number(row, 2, p as f64)?;
            row += 1;
        }
        for (name, n, p) in [
            ("受理率", t.acceptance_rate, b.acceptance_rate),
            ("按时办结率", t.on_time_close_rate, b.on_time_close_rate),
            ("办结率", t.closure_rate, b.closure_rate),
            ("满意率", t.satisfaction_rate, b.satisfaction_rate),
        ] {
            s.write_string(row, 0, name)?;
            rate(s, row, 1, n)?;
            rate(s, row, 2, p)?;
            row += 1;
        }
        s.write_string(row + 1, 0, format!("上期：{}", r.previous.label_zh()))?;
        s.set_column_width(0, 16)?;
    }
    {
        let s = book.add_worksheet().set_name("分组")?;
        for (c, h) in GROUP_HEADERS.iter().enumerate() {
            s.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, g) in r.groups.iter().enumerate() {
            let row = i as u32 + 1;
            s.write_string(row, 0, &g.name)?;
            s.write_string(row, 1, &g.key)?;
            s.write_string(row, 2, r.period.to_string())?;
            s.write_number(row, 3, g.now.received as f64)?;
            s.write_number(row, 4, g.now.accepted as f64)?;
            rate(s, row, 5, g.now.acceptance_rate)?;
            s.write_number(row, 6, g.now.closed as f64)?;
            rate(s, row, 7, g.now.on_time_close_rate)?;
            rate(s, row, 8, g.now.closure_rate)?;
            rate(s, row, 9, g.now.satisfaction_rate)?;
            s.write_number(row, 10, g.now.overdue_now as f64)?;
            s.write_number(row, 11, g.before.received as f64)?;
            rate(s, row, 12, g.before.closure_rate)?;
        }
        s.set_column_width(0, 24)?;
        s.set_column_width(1, 22)?;
    }
    for (sheet, rows) in [("渠道", &r.channels), ("类别", &r.categories)] {
        let s = book.add_worksheet().set_name(sheet)?;
        for (c, h) in [sheet, "编码", "本期", "上期"].iter().enumerate() {
            s.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, c) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            s.write_string(row, 0, &c.name)?;
            s.write_string(row, 1, &c.key)?;
            s.write_number(row, 2, c.now as f64)?;
            s.write_number(row, 3, c.before as f64)?;
        }
        s.set_column_width(0, 24)?;
    }
    {
        let s = book.add_worksheet().set_name("超期清单")?;
        for (c, h) in ["事件编号", "类别", "网格", "承办单位", "环节", "上报时间"]
            .iter()
            .enumerate()
        {
            s.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, c) in r.overdue.iter().enumerate() {
            let row = i as u32 + 1;
            let [category, grid, unit, reported] = names(c);
            s.write_string(row, 0, &c.id)?;
            s.write_string(row, 1, category)?;
            s.write_string(row, 2, grid)?;
            s.write_string(row, 3, unit)?;
            s.write_string(row, 4, c.stage.name_zh())?;
            s.write_string(row, 5, reported)?;
        }
        s.set_column_width(0, 38)?;
        s.set_column_width(1, 30)?;
    }
    {
        let s = book.add_worksheet().set_name("趋势")?;
        for (c, h) in [
            "考核期",
            "编码",
            "受理量",
            "受理率",
            "按时办结率",
            "办结率",
            "满意率",
        ]
        .iter()
        .enumerate()
        {
            s.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, (p, f)) in r.trend.iter().enumerate() {
            let row = i as u32 + 1;
            s.write_string(row, 0, p.label_zh())?;
            s.write_string(row, 1, p.to_string())?;
            s.write_number(row, 2, f.received as f64)?;
            rate(s, row, 3, f.acceptance_rate)?;
            rate(s, row, 4, f.on_time_close_rate)?;
            rate(s, row, 5, f.closure_rate)?;
            rate(s, row, 6, f.satisfaction_rate)?;
        }
        s.set_column_width(0, 34)?;
    }
    book.save_to_buffer()
}
