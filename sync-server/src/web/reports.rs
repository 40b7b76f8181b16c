//! Periodic reports (日报、周报、月报、季报) on the pages: the period's figures for
//! the user's area against the period before, per town, village, grid, unit or
//! category; counts by channel and category; the cases overdue now; a six-period
//! trend; and the same as an XLSX workbook and a CSV that open in WPS and Excel.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fieldgrid_core::assessment::{Figures, GroupBy, Period, PeriodReport};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::SignedIn;
use super::page::{Head, bars, layout, period_nav, table, time};
use super::{PageError, caller};
use crate::AppState;
use crate::report_sheet::{GROUP_HEADERS, workbook};
use crate::service::reports;

/// `?period=2026-11&by=village`.
#[derive(Deserialize, Default)]
pub struct ReportQuery {
    /// A period code (default: this month).
    pub period: Option<String>,
    /// `town`, `village`, `grid`, `unit` or `category` (default: village).
    pub by: Option<String>,
}

async fn load(
    state: &AppState,
    signed: &SignedIn,
    q: &ReportQuery,
) -> Result<PeriodReport, PageError> {
    let period = super::assessment::period_of(q.period.as_deref())?;
    let by = match q.by.as_deref().filter(|b| !b.is_empty()) {
        None => GroupBy::Village,
        Some(b) => GroupBy::parse(b).ok_or_else(|| PageError::bad("参数 by 的值无效"))?,
    };
    let caller = caller(state, signed).await?;
    Ok(reports::report(state, &caller, period, by).await?)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// A change against the period before: `↑ 3` or `↓ 2.5个百分点`.
fn delta(now: Option<f64>, before: Option<f64>, rate: bool) -> Markup {
    let (Some(n), Some(b)) = (now, before) else {
        return html! { span.delta { "—" } };
    };
    let d = n - b;
    let text = if rate {
        format!("{:.1}个百分点", d.abs() * 100.0)
    } else {
        format!("{}", d.abs())
    };
    html! {
        span.delta class=(if d > 0.0 { "up" } else if d < 0.0 { "down" } else { "same" }) {
            (if d > 0.0 { "↑ " } else if d < 0.0 { "↓ " } else { "持平 " }) @if d != 0.0 { (text) }
        }
    }
}

fn count(v: u64) -> Option<f64> {
    Some(v as f64)
}

fn figure_cells(f: &Figures, b: &Figures) -> Vec<Markup> {
    vec![
        html! { (f.received) " " (delta(count(f.received), count(b.received), false)) },
        html! { (pct(f.acceptance_rate)) },
        html! { (pct(f.on_time_close_rate)) },
        html! { (pct(f.closure_rate)) " " (delta(f.closure_rate, b.closure_rate, true)) },
        html! { (pct(f.satisfaction_rate)) },
        html! { (f.overdue_now) },
    ]
}

/// The trend: received per period as bars, 办结率 as a line, one SVG.
fn trend_chart(r: &PeriodReport) -> Markup {
    let n = r.trend.len().max(1);
    let max = r
        .trend
        .iter()
        .map(|(_, f)| f.received)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (w, h, left, bottom) = (560.0, 240.0, 40.0, 40.0);
    let step = (w - left) / n as f64;
    let y = |v: f64| h - bottom - v * (h - bottom - 20.0);
    let line: Vec<String> = r
        .trend
        .iter()
        .enumerate()
        .filter_map(|(i, (_, f))| {
            f.closure_rate
                .map(|c| format!("{:.1},{:.1}", left + step * (i as f64 + 0.5), y(c)))
        })
        .collect();
    html! {
        figure.chart {
            figcaption { "趋势：受理量（柱）与办结率（线）" }
            svg #chart-trend viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) role="img" {
                @for (i, (p, f)) in r.trend.iter().enumerate() {
                    @let x = left + step * i as f64;
                    @let bh = f.received as f64 / max * (h - bottom - 20.0);
                    rect.bar x=(format!("{:.1}", x + step * 0.2)) y=(format!("{:.1}", h - bottom - bh))
                        width=(format!("{:.1}", step * 0.6)) height=(format!("{bh:.1}")) {}
                    text.value x=(format!("{:.1}", x + step * 0.5)) y=(format!("{:.1}", h - bottom - bh - 4.0)) text-anchor="middle" { (f.received) }
                    text.label x=(format!("{:.1}", x + step * 0.5)) y=(format!("{:.1}", h - bottom + 16.0)) text-anchor="middle" { (short_label(p)) }
                }
                @if line.len() > 1 {
                    polyline.line points=(line.join(" ")) fill="none" {}
                }
            }
        }
    }
}

fn short_label(p: &Period) -> String {
    let label = p.label_zh();
    // "2026年第48周（11月23日—11月29日）" → "第48周"; "2026年11月" → "11月".
    let without_year = label.split_once('年').map_or(label.as_str(), |(_, r)| r);
    without_year
        .split_once('（')
        .map_or(without_year, |(a, _)| a)
        .to_owned()
}

/// `GET /ui/reports`.
pub async fn page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ReportQuery>,
) -> Result<Markup, PageError> {
    let r = load(&state, &signed, &q).await?;
    let by = r.by;
    let caller = caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let catalogue = state.catalogue().await?;
    let link = |p: Period| format!("/ui/reports?period={p}&by={}", by.as_str());
    let t = &r.totals;
    let b = &r.previous_totals;
    let groups: Vec<Vec<Markup>> = r
        .groups
        .iter()
        .map(|g| {
            let mut row = vec![html! { (g.name) }];
            row.extend(figure_cells(&g.now, &g.before));
            row
        })
        .collect();
    let counts = |rows: &[fieldgrid_core::assessment::CountRow]| -> Vec<Vec<Markup>> {
        rows.iter()
            .filter(|c| c.now + c.before > 0)
            .map(|c| {
                vec![
                    html! { (c.name) },
                    html! { (c.now) },
                    html! { (c.before) },
                    delta(count(c.now), count(c.before), false),
                ]
            })
            .collect()
    };
    let overdue: Vec<Vec<Markup>> = r
        .overdue
        .iter()
        .map(|c| {
            vec![
                html! { a href={ "/ui/incidents/" (c.id) } { (super::incidents::short_id(&c.id)) } },
                html! { (catalogue.display_path(&c.category)) },
                html! { (super::incidents::grid_name(&tree, &c.grid)) },
                html! { (c.assignee.as_deref().map_or("—", |a| super::incidents::unit_name(&tree, a))) },
                html! { (c.stage.name_zh()) },
                html! { (time(c.reported_at)) },
            ]
        })
        .collect();
    let export = format!("period={}&by={}", r.period, by.as_str());
    let body = html! {
        h1 #report-title { (r.period.label_zh()) " " (r.period.kind().report_zh()) }
        (period_nav(r.period, &link))
        nav.subjects {
            @for g in GroupBy::ALL {
                a id={ "by-" (g.as_str()) } href={ "/ui/reports?period=" (r.period) "&by=" (g.as_str()) }
                    class=[(g == by).then_some("active")] { (g.name_zh()) }
                " "
            }
            a #export-xlsx href={ "/ui/export/report.xlsx?" (export) } { "导出 Excel" }
            " "
            a #export-report-csv href={ "/ui/export/report.csv?" (export) } { "导出 CSV" }
        }
        div.kpis {
            div.kpi { span.k { "受理量" } strong #kpi-received { (t.received) } (delta(count(t.received), count(b.received), false)) }
            div.kpi { span.k { "受理率" } strong { (pct(t.acceptance_rate)) } (delta(t.acceptance_rate, b.acceptance_rate, true)) }
            div.kpi { span.k { "按时办结率" } strong { (pct(t.on_time_close_rate)) } (delta(t.on_time_close_rate, b.on_time_close_rate, true)) }
            div.kpi { span.k { "办结率" } strong #kpi-closure { (pct(t.closure_rate)) } (delta(t.closure_rate, b.closure_rate, true)) }
            div.kpi { span.k { "满意率" } strong { (pct(t.satisfaction_rate)) } (delta(t.satisfaction_rate, b.satisfaction_rate, true)) }
            div.kpi { span.k { "当前超期" } strong { (t.overdue_now) } }
        }
        p.hint { "与上期（" (r.previous.label_zh()) "）比较。受理量按上报时间计入考核期。" }
        div.cards {
            div.card { (trend_chart(&r)) }
            div.card { (bars("chart-group-closure", "办结率", &r.groups.iter().map(|g| (g.name.clone(), g.now.closure_rate)).collect::<Vec<_>>())) }
        }
        h2 { (by.name_zh()) }
        (table("report-groups", &["名称", "受理量", "受理率", "按时办结率", "办结率", "满意率", "当前超期"], &groups))
        div.cards {
            div.card { h3 { "按来源渠道" } (table("report-channels", &["渠道", "本期", "上期", "环比"], &counts(&r.channels))) }
            div.card { h3 { "按事件类别" } (table("report-categories", &["类别", "本期", "上期", "环比"], &counts(&r.categories))) }
        }
        h2 { "超期未办结（" (r.overdue.len()) "件）" }
        (table("report-overdue", &["事件", "类别", "网格", "承办单位", "环节", "上报时间"], &overdue))
    };
    Ok(layout(&signed, "报表", "reports", Head::default(), body))
}

fn rate_cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.4}"))
}

/// `GET /ui/export/report.csv`: the grouped table, with code columns.
pub async fn csv(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let r = load(&state, &signed, &q).await?;
    let rows = r
        .groups
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.key.clone(),
                r.period.to_string(),
                g.now.received.to_string(),
                g.now.accepted.to_string(),
                rate_cell(g.now.acceptance_rate),
                g.now.closed.to_string(),
                rate_cell(g.now.on_time_close_rate),
                rate_cell(g.now.closure_rate),
                rate_cell(g.now.satisfaction_rate),
                g.now.overdue_now.to_string(),
                g.before.received.to_string(),
                rate_cell(g.before.closure_rate),
            ]
        })
        .collect();
    Ok(super::exports::csv(
        &format!("report-{}-{}.csv", r.period, r.by.as_str()),
        &GROUP_HEADERS,
        rows,
    ))
}

/// `GET /ui/export/report.xlsx`.
pub async fn xlsx(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let r = load(&state, &signed, &q).await?;
    let caller = caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let catalogue = state.catalogue().await?;
    let names = |c: &fieldgrid_core::assessment::CaseRow| {
        [
            catalogue.display_path(&c.category),
            super::incidents::grid_name(&tree, &c.grid).to_owned(),
            c.assignee.as_deref().map_or("".into(), |a| {
                super::incidents::unit_name(&tree, a).to_owned()
            }),
            time(c.reported_at),
        ]
    };
    let bytes = workbook(&r, &names).map_err(|e| PageError::bad(format!("报表生成失败：{e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"report-{}-{}.xlsx\"",
                    r.period,
                    r.by.as_str()
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
