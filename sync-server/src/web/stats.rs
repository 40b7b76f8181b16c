//! Statistics over a period, per grid, village or platform: acceptance rate,
//! on-time close rate, satisfaction rate, overdue now; and patrol hours and
//! coverage per worker. Tables with bar charts, and a CSV export.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use fieldgrid_core::incident::{DayCount, IncidentStats, replay, statistics};
use serde::Deserialize;

use super::auth::SignedIn;
use maud::{Markup, html};

use super::PageError;
use super::page::{Head, bars, layout, select, table, today};
use crate::AppState;
use crate::service::records;
use crate::service::tracks;

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
        return Err(PageError::bad("dates are written YYYY-MM-DD"));
    };
    let by = q.by.clone().unwrap_or_else(|| "village".into());
    if !matches!(by.as_str(), "village" | "grid" | "platform") {
        return Err(PageError::bad("参数 by 的值无效"));
    }
    let caller = super::caller(state, signed).await?;
    let tree = caller.tree.clone();
    let incidents = records::incidents(state, &caller).await?;
    let states: Vec<_> = incidents.iter().map(replay).collect();
    let catalogue = state.catalogue().await?;
    let village_of = |grid: &str| {
        tree.grids
            .iter()
            .find(|g| g.code == grid)
            .and_then(|g| tree.units.iter().find(|u| u.code == g.unit))
            .map(|u| u.name.clone())
    };
    let figures = statistics(
        incidents.iter().zip(states.iter()),
        |i, s| match by.as_str() {
            "grid" => Some(
                tree.grids
                    .iter()
                    .find(|g| g.code == i.grid_code)
                    .map_or_else(|| i.grid_code.clone(), |g| g.name.clone()),
            ),
            "platform" => s
                .assignee
                .as_deref()
                .map(|a| super::incidents::unit_name(&tree, a).to_owned()),
            _ => village_of(&i.grid_code),
        },
        &catalogue,
        DayCount::WorkDays,
        (start, end),
        crate::now(),
    );
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
    // Patrols per worker over the period (days in the user's scope).
    let caller = super::caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let mut per_worker: BTreeMap<String, (f64, f64, u32)> = BTreeMap::new();
    let (Some(start), Some(end)) = (day_start(&from), day_start(&to)) else {
        return Err(PageError::bad("bad dates"));
    };
    for (patrol, worker) in
        tracks::patrols_between(&state, start * 1000, (end + 86_400) * 1000).await?
    {
        if let Ok(r) = tracks::review_brief(&state, &caller, &patrol).await {
            let e = per_worker.entry(worker).or_default();
            e.0 += r.figures.duration_s / 3600.0;
            e.1 = e.1.max(r.figures.coverage.unwrap_or(0.0));
            e.2 += 1;
        }
    }
    let worker_rows: Vec<Vec<Markup>> = per_worker
        .iter()
        .map(|(w, (h, c, n))| {
            let name = tree
                .staff
                .iter()
                .find(|s| &s.id == w)
                .map_or(w.as_str(), |s| s.name.as_str());
            vec![
                html! { (name) },
                html! { (n) },
                html! { (format!("{h:.1}")) },
                html! { (format!("{:.0}%", c * 100.0)) },
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
