//! Exports: a day's patrols as GeoJSON, one patrol as GPX, the incident queue and
//! the statistics as CSV (UTF-8 with a byte-order mark, so Excel opens Chinese).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fieldgrid_core::patrol::export::{to_geojson, to_gpx};

use super::auth::SignedIn;
use super::incidents::{QueueFilter, category_name, colour_name, queue, stage_name};
use super::map::{DayQuery, valid_day};
use super::stats::{StatsQuery, compute};
use super::{PageError, caller};
use crate::AppState;
use crate::service::ServiceError;
use crate::service::tracks;

fn csv_cell(s: &str) -> String {
    // Quote everything; neutralise formula injection in spreadsheet apps (a cell
    // starting with a formula sign, or with a tab or carriage return before one).
    // A plain number (a negative score) is left as it is.
    let number = s.parse::<f64>().is_ok_and(f64::is_finite) && !s.starts_with('+');
    let s = if !number && s.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(crate) fn csv(name: &str, head: &[&str], rows: Vec<Vec<String>>) -> Response {
    let mut out = String::from("\u{feff}");
    out.push_str(
        &head
            .iter()
            .map(|h| csv_cell(h))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response()
}

/// `GET /ui/export/patrols.geojson?day=`.
pub async fn patrols_geojson(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let day = valid_day(q.day)?;
    let caller = caller(&state, &signed).await?;
    let mut features = Vec::new();
    for (patrol, _) in super::day_patrols(&state, &day).await? {
        match tracks::track(&state, &caller, &patrol).await {
            Ok(track) => features.push(to_geojson(&patrol, &track)),
            Err(ServiceError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"patrols-{day}.geojson\""),
            ),
        ],
        body.to_string(),
    )
        .into_response())
}

/// `GET /ui/export/patrols/{id}.gpx`.
pub async fn patrol_gpx(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let id = file.trim_end_matches(".gpx").to_owned();
    let caller = caller(&state, &signed).await?;
    let log = tracks::patrol_log(&state, &caller, &id).await?;
    let track = tracks::track(&state, &caller, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/gpx+xml".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.gpx\""),
            ),
        ],
        to_gpx(&format!("{} {}", log.worker_id, log.grid_code), &track),
    )
        .into_response())
}

/// `GET /ui/export/incidents.csv` (same filters as the queue).
pub async fn incidents_csv(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(f): Query<QueueFilter>,
) -> Result<Response, PageError> {
    let catalogue = state.catalogue().await?;
    let tree = state.org_tree().await?;
    let rows = queue(&state, &signed, &f)
        .await?
        .into_iter()
        .map(|i| {
            let colour = format!("{:?}", i.colour).to_lowercase();
            vec![
                i.id,
                super::incidents::grid_name(&tree, &i.grid_code).to_owned(),
                i.grid_code,
                category_name(&catalogue, &i.category).to_owned(),
                i.category,
                i.channel.name_zh().to_owned(),
                i.channel.as_str().to_owned(),
                stage_name(&i.stage).to_owned(),
                i.stage,
                colour_name(&colour).to_owned(),
                colour,
                i.assignee
                    .as_deref()
                    .map(|a| super::incidents::unit_name(&tree, a).to_owned())
                    .unwrap_or_default(),
                i.assignee.unwrap_or_default(),
                i.due.map(super::page::time).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(csv(
        "incidents.csv",
        &[
            "编号",
            "网格",
            "网格编码",
            "类别",
            "类别编码",
            "来源",
            "来源编码",
            "阶段",
            "阶段编码",
            "状态",
            "状态编码",
            "承办单位",
            "承办单位编码",
            "期限",
        ],
        rows,
    ))
}

/// `GET /ui/export/stats.csv`.
pub async fn stats_csv(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let (_, _, _, figures) = compute(&state, &signed, &q).await?;
    let r = |v: Option<f64>| v.map_or(String::new(), |v| format!("{:.4}", v));
    let rows = figures
        .into_iter()
        .map(|(g, s)| {
            vec![
                g,
                s.received.to_string(),
                s.accepted.to_string(),
                r(s.acceptance_rate),
                s.closed.to_string(),
                r(s.closure_rate),
                s.closed_on_time.to_string(),
                r(s.on_time_close_rate),
                s.assessed.to_string(),
                s.satisfied.to_string(),
                r(s.satisfaction_rate),
                s.urged.to_string(),
                s.overdue_now.to_string(),
            ]
        })
        .collect();
    Ok(csv(
        "statistics.csv",
        &[
            "分组",
            "受理量",
            "已受理",
            "受理率",
            "已办结",
            "办结率",
            "按时办结",
            "按时办结率",
            "已回访",
            "满意",
            "满意率",
            "催办",
            "当前超期",
        ],
        rows,
    ))
}
