//! Statistics over a period, per grid, village or platform: acceptance rate,
//! on-time close rate, satisfaction rate, overdue now; and patrol hours and
//! coverage per worker. Tables with bar charts, and a CSV export.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Html;
use fieldgrid_core::incident::{DayCount, IncidentStats, default_catalogue, replay, statistics};
use fieldgrid_core::records::{Incident, RecordKind};
use serde::Deserialize;

use super::auth::SignedIn;
use super::page::{bars, escape, layout, table, today};
use super::{PageError, replica_store};
use crate::AppState;
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
    let store = replica_store(state).await?;
    let caller = super::caller(state, signed).await?;
    let tree = caller.tree.clone();
    let docs = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<Incident>, fieldgrid_core::Error> {
            s.documents()?
                .into_iter()
                .filter(|d| d.kind == RecordKind::Incident)
                .map(|d| s.get::<Incident>(&d.id))
                .collect()
        })
        .await
        .map_err(|e| PageError::bad(e.to_string()))??
    };
    let incidents: Vec<Incident> = docs
        .into_iter()
        .filter(|i| caller.sees(&i.grid_code))
        .collect();
    let states: Vec<_> = incidents.iter().map(replay).collect();
    let catalogue = store.catalogue()?.unwrap_or_else(default_catalogue);
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
            "grid" => Some(i.grid_code.clone()),
            "platform" => s.assignee.clone().map(|a| {
                super::incidents::PLATFORMS
                    .iter()
                    .find(|(p, _)| *p == a)
                    .map_or(a.clone(), |(_, n)| (*n).to_owned())
            }),
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
) -> Result<Html<String>, PageError> {
    let (from, to, by, figures) = compute(&state, &signed, &q).await?;
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|(g, s)| {
            vec![
                escape(g),
                s.received.to_string(),
                pct(s.acceptance_rate),
                pct(s.on_time_close_rate),
                pct(s.satisfaction_rate),
                s.overdue_now.to_string(),
                s.avg_handling_hours
                    .map_or("—".into(), |h| format!("{h:.1}")),
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
    for (patrol, worker) in state
        .storage
        .patrols_between(start * 1000, (end + 86_400) * 1000)
        .await?
    {
        if let Ok(r) = tracks::review(&state, &caller, &patrol).await {
            let e = per_worker.entry(worker).or_default();
            e.0 += r.figures.duration_s / 3600.0;
            e.1 = e.1.max(r.figures.coverage.unwrap_or(0.0));
            e.2 += 1;
        }
    }
    let worker_rows: Vec<Vec<String>> = per_worker
        .iter()
        .map(|(w, (h, c, n))| {
            let name = tree
                .staff
                .iter()
                .find(|s| &s.id == w)
                .map_or(w.as_str(), |s| s.name.as_str());
            vec![
                escape(name),
                n.to_string(),
                format!("{h:.1}"),
                format!("{:.0}%", c * 100.0),
            ]
        })
        .collect();
    let sel = |v: &str, l: &str| {
        format!(
            r#"<option value="{v}"{s}>{l}</option>"#,
            s = if by == v { " selected" } else { "" }
        )
    };
    let body = format!(
        r#"<h1>统计分析</h1>
<form class="filters" method="get">
<label>开始<input type="date" name="from" value="{from}"></label><label>结束<input type="date" name="to" value="{to}"></label>
<label>分组<select name="by">{a}{b}{c}</select></label><button>统计</button>
<a href="/ui/export/stats.csv?from={from}&amp;to={to}&amp;by={by}" id="export-stats">导出 CSV</a></form>
{t}
<div class="cards"><div class="card">{c1}</div><div class="card">{c2}</div><div class="card">{c3}</div></div>
<h3>人员巡查</h3>{w}"#,
        from = escape(&from),
        to = escape(&to),
        by = escape(&by),
        a = sel("village", "按村（社区）"),
        b = sel("grid", "按网格"),
        c = sel("platform", "按平台"),
        t = table(
            "stats",
            &[
                "分组",
                "受理量",
                "受理率",
                "按时办结率",
                "满意率",
                "当前超期",
                "平均处置（小时）"
            ],
            &rows
        ),
        c1 = chart("受理率", "chart-acceptance", &|s| s.acceptance_rate),
        c2 = chart("按时办结率", "chart-ontime", &|s| s.on_time_close_rate),
        c3 = chart("满意率", "chart-satisfaction", &|s| s.satisfaction_rate),
        w = table(
            "worker-stats",
            &["人员", "巡查次数", "巡查时长（小时）", "最高覆盖率"],
            &worker_rows
        ),
    );
    Ok(layout(&signed, "统计", "stats", "", &body))
}
