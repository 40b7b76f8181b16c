//! Statistics over a period, per grid, village or platform: acceptance rate,
//! on-time close rate, satisfaction rate, overdue now; and patrol hours and
//! coverage per worker. Tables with bar charts, and a CSV export.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use fieldgrid_core::incident::IncidentStats;
use serde::Deserialize;

use super::auth::SignedIn;
use maud::{Markup, html};

use super::PageError;
use super::page::{Head, bars, layout, select, table, today};
use crate::AppState;
use crate::service::stats::{self, StatsBy};

/// Period and grouping.
#[derive(Deserialize, Default, Clone)]
pub struct StatsQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days ago).
    pub from: Option<String>,
    /// Last day, inclusive (default: today).
    pub to: Option<String>,
    /// `grid`, `village` or `platform`.
    pub by: Option<String>,
}

use fieldgrid_core::forms::day_start;

/// The figures per group for the user's scope.
pub(crate) async fn compute(
    state: &AppState,
    signed: &SignedIn,
    q: &StatsQuery,
) -> Result<(String, String, String, BTreeMap<String, IncidentStats>), PageError> {
    let to = q.to.clone().unwrap_or_else(today);
    let from = q
        .from
        .clone()
        .unwrap_or_else(|| fieldgrid_core::forms::date_at(crate::now() - 30 * 86_400).to_string());
    let (Some(start), Some(end)) = (day_start(&from), day_start(&to).map(|t| t + 86_400)) else {
        return Err(PageError::bad("日期请写成 YYYY-MM-DD"));
    };
    let by = q.by.clone().unwrap_or_else(|| "village".into());
    let Some(grouping) = StatsBy::parse(&by) else {
        return Err(PageError::bad("参数 by 的值无效"));
    };
    let caller = super::caller(state, signed).await?;
    let figures = stats::incident_figures(state, &caller, (start, end), grouping).await?;
    Ok((from, to, by, figures))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// `GET /ui/stats`.
pub async fn page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<StatsQuery>,
) -> Result<Markup, PageError> {
    let (from, to, by, figures) = compute(&state, &signed, &q).await?;
    let rows: Vec<Vec<Markup>> = figures
        .iter()
        .map(|(g, s)| {
            vec![
                html! { (g) },
                html! { (s.received) },
                html! { (pct(s.acceptance_rate)) },
                html! { (pct(s.closure_rate)) },
                html! { (pct(s.on_time_close_rate)) },
                html! { (pct(s.satisfaction_rate)) },
                html! { (s.urged) },
                html! { (s.overdue_now) },
                html! { (s.avg_handling_hours.map_or("—".into(), |h| format!("{h:.1}"))) },
            ]
        })
        .collect();
    let chart = |title: &str, id: &str, f: &dyn Fn(&IncidentStats) -> Option<f64>| {
        bars(
            id,
            title,
            &figures
                .iter()
                .map(|(g, s)| (g.clone(), f(s)))
                .collect::<Vec<_>>(),
        )
    };
    // Patrols per worker over the period, in the user's area.
    let caller = super::caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let (Some(start), Some(end)) = (day_start(&from), day_start(&to)) else {
        return Err(PageError::bad("日期请写成 YYYY-MM-DD"));
    };
    let per_worker = stats::patrol_figures(&state, &caller, (start, end + 86_400)).await?;
    let names: std::collections::HashMap<&str, &str> = tree
        .staff
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let worker_rows: Vec<Vec<Markup>> = per_worker
        .iter()
        .map(|(w, f)| {
            let name = names.get(w.as_str()).copied().unwrap_or(w.as_str());
            vec![
                html! { (name) },
                html! { (f.patrols) },
                html! { (format!("{:.1}", f.hours)) },
                html! { (format!("{:.0}%", f.best_coverage * 100.0)) },
            ]
        })
        .collect();
    let groupings = [
        ("village", "按村（社区）"),
        ("grid", "按网格"),
        ("platform", "按承办单位"),
    ];
    let body = html! {
        h1 { "统计分析" }
        form.filters method="get" {
            label { "开始" input type="date" name="from" value=(from); }
            label { "结束" input type="date" name="to" value=(to); }
            label { "分组" (select("by", "stats-by", None, &groupings, Some(&by))) }
            button { "统计" }
            a #export-stats href={ "/ui/export/stats.csv?from=" (from) "&to=" (to) "&by=" (by) } { "导出 CSV" }
        }
        (table("stats", &["分组", "受理量", "受理率", "办结率", "按时办结率", "满意率", "催办", "当前超期", "平均处置（小时）"], &rows))
        div.cards {
            div.card { (chart("受理率", "chart-acceptance", &|s| s.acceptance_rate)) }
            div.card { (chart("办结率", "chart-closure", &|s| s.closure_rate)) }
            div.card { (chart("按时办结率", "chart-ontime", &|s| s.on_time_close_rate)) }
            div.card { (chart("满意率", "chart-satisfaction", &|s| s.satisfaction_rate)) }
        }
        h3 { "人员巡查" }
        (table("worker-stats", &["人员", "巡查次数", "巡查时长（小时）", "最高覆盖率"], &worker_rows))
    };
    Ok(layout(&signed, "统计", "stats", Head::default(), body))
}
