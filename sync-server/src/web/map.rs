//! The map: grid boundaries coloured by today's coverage, each worker's latest
//! position and track of the day, and the replay of one patrol.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use fieldgrid_core::patrol::fix::flags;
use serde::{Deserialize, Serialize};

use super::auth::SignedIn;
use maud::{Markup, html};

use super::page::{Head, layout, today};
use super::{PageError, caller};
use crate::AppState;
use crate::service::tracks;

/// `?day=YYYY-MM-DD` (China time; default today).
#[derive(Deserialize)]
pub struct DayQuery {
    pub(crate) day: Option<String>,
}

pub(crate) fn valid_day(day: Option<String>) -> Result<String, PageError> {
    let day = day.unwrap_or_else(today);
    if fieldgrid_core::forms::parse_date(&day).is_none() {
        return Err(PageError::bad("参数 day 的值无效（应为 YYYY-MM-DD）"));
    }
    Ok(day)
}

/// `GET /ui/`: the map page. The optional `tiles` setting is a tile URL; without it
/// the map draws grid polygons on a blank background (works with no internet).
pub async fn page(signed: SignedIn, Query(q): Query<DayQuery>) -> Result<Markup, PageError> {
    let day = valid_day(q.day)?;
    let tiles = std::env::var("FIELDGRID_TILE_URL").unwrap_or_default();
    let body = html! {
        section.map-page {
            aside {
                form {
                    label { "日期 " input type="date" name="day" #day value=(day); }
                    " " button { "查看" }
                }
                p #map-summary { "正在加载…" }
                div #legend {
                    span.sw.c0 {} "未巡查 " span.sw.c1 {} "<30% " span.sw.c2 {} "30–70% " span.sw.c3 {} ">70%"
                }
                h3 { "人员" }
                ul #workers {}
                div #replay hidden {
                    h3 #replay-title { "轨迹回放" }
                    input type="range" #replay-slider min="0" max="0" value="0";
                    p #replay-time {}
                    p #replay-findings {}
                    a #replay-gpx href="" { "导出 GPX" }
                }
                p { a #export-geojson href={ "/ui/export/patrols.geojson?day=" (day) } { "导出当日轨迹 GeoJSON" } }
            }
            div #map data-day=(day) data-tiles=(tiles) {}
        }
        script src="/ui/assets/map.js" {}
    };
    Ok(layout(&signed, "地图", "map", Head { leaflet: true }, body))
}

/// A grid on the map.
#[derive(Serialize)]
struct MapGrid {
    code: String,
    name: String,
    level: u8,
    special: bool,
    /// Best coverage of the day's patrols in it, 0..1 (`None`: not patrolled).
    coverage: Option<f64>,
    /// Exterior ring, `[lat, lon]`.
    ring: Vec<[f64; 2]>,
}

/// One patrol's line.
#[derive(Serialize)]
struct MapPatrol {
    patrol: String,
    grid: String,
    line: Vec<(f64, f64)>,
    findings: Vec<String>,
    distance_m: f64,
}

/// A worker with their day.
#[derive(Serialize)]
struct MapWorker {
    id: String,
    name: String,
    latest: Option<(f64, f64)>,
    patrols: Vec<MapPatrol>,
}

/// The map's data.
#[derive(Serialize)]
pub struct MapData {
    day: String,
    grids: Vec<MapGrid>,
    workers: Vec<MapWorker>,
}

/// `GET /ui/api/map?day=`: grids, coverage and the day's tracks in the user's scope.
pub async fn data(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let day = valid_day(q.day)?;
    let caller = caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let mut workers: BTreeMap<String, MapWorker> = BTreeMap::new();
    let mut coverage: BTreeMap<String, f64> = BTreeMap::new();
    // Reviews decode and measure every track: run them on all cores, in order.
    let patrols = super::day_patrols(&state, &day).await?;
    let limit = Arc::new(tokio::sync::Semaphore::new(
        2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
    ));
    let mut tasks = Vec::with_capacity(patrols.len());
    for (patrol, worker) in patrols {
        let (state, caller, limit) = (state.clone(), caller.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            let review = tracks::review_brief(&state, &caller, &patrol).await.ok();
            (patrol, worker, review)
        }));
    }
    for task in tasks {
        let (patrol, worker, review) = task.await.map_err(|e| PageError::bad(e.to_string()))?;
        let Some(review) = review else {
            continue;
        };
        if let Some(c) = review.figures.coverage {
            let best = coverage.entry(review.grid_code.clone()).or_insert(0.0);
            *best = best.max(c);
        }
        let name = tree
            .staff
            .iter()
            .find(|s| s.id == worker)
            .map_or_else(|| worker.clone(), |s| s.name.clone());
        let w = workers.entry(worker.clone()).or_insert_with(|| MapWorker {
            id: worker.clone(),
            name,
            latest: None,
            patrols: Vec::new(),
        });
        w.latest = review.line.last().copied().or(w.latest);
        w.patrols.push(MapPatrol {
            patrol,
            grid: review.grid_code,
            findings: review
                .findings
                .iter()
                .map(|f| format!("{:?}", f.kind))
                .collect(),
            distance_m: review.figures.distance_m,
            line: review.line,
        });
    }
    let grids = tree
        .grids
        .iter()
        .filter(|g| caller.sees(&g.code))
        .map(|g| MapGrid {
            code: g.code.clone(),
            name: g.name.clone(),
            level: g.level,
            special: g.kind != fieldgrid_core::org::GridKind::Regular,
            coverage: coverage.get(&g.code).copied(),
            ring: g
                .boundary
                .first()
                .map(|r| r.iter().map(|p| [p[1], p[0]]).collect())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Json(MapData {
        day,
        grids,
        workers: workers.into_values().collect(),
    })
    .into_response())
}

/// A patrol for the replay: every point with its time, stops and findings.
#[derive(Serialize)]
pub struct Replay {
    patrol: String,
    worker: String,
    grid: String,
    /// `[lat, lon, unix ms, jump or mock location]`.
    points: Vec<(f64, f64, i64, bool)>,
    stops: Vec<(f64, f64, i64, i64)>,
    findings: Vec<String>,
}

/// `GET /ui/api/patrols/{id}`.
pub async fn patrol(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let caller = caller(&state, &signed).await?;
    let review = tracks::review(&state, &caller, &id).await?;
    let track = tracks::track(&state, &caller, &id).await?;
    Ok(Json(Replay {
        patrol: id,
        worker: review.worker_id,
        grid: review.grid_code,
        points: track
            .iter()
            .map(|f| {
                (
                    f.fix.lat,
                    f.fix.lon,
                    f.fix.time_ms,
                    f.flags & (flags::JUMP | flags::MOCK) != 0,
                )
            })
            .collect(),
        stops: review
            .figures
            .stops
            .iter()
            .map(|s| (s.lat, s.lon, s.start_ms, s.end_ms))
            .collect(),
        findings: review
            .findings
            .iter()
            .map(|f| format!("{:?}", f.kind))
            .collect(),
    })
    .into_response())
}
