//! The command centre's big screen (大屏) for a wall display at 1920×1080: the map
//! with every grid coloured by today's coverage and every patrolling worker live,
//! new reports appearing as they arrive, the queue by colour, today's counts and
//! rates. It never reloads: live events come over server-sent events
//! (`/ui/api/live`), figures from `/ui/api/screen` every minute.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use fieldgrid_core::assessment::{Figures, Period, PeriodKind};
use fieldgrid_core::incident::{Catalogue, Colour, DayCount, colour};
use fieldgrid_core::org::OrgTree;
use futures_util::Stream;
use maud::{DOCTYPE, Markup, html};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use super::auth::SignedIn;
use super::{PageError, caller};
use crate::AppState;
use crate::service::live::{self, LiveEvent};
use crate::service::{Caller, records};
use crate::storage::LivePosition;

/// A position as the page draws it.
#[derive(Serialize)]
struct PositionView {
    staff: String,
    name: String,
    grid: String,
    grid_name: String,
    lat: f64,
    lon: f64,
    accuracy: i32,
    at: i64,
}

/// A new report as the page shows it.
#[derive(Serialize)]
struct ReportView {
    incident: String,
    short: String,
    category: String,
    channel: String,
    grid_name: String,
    at: i64,
}

/// The names an event stream shows, looked up once per stream (a county has
/// thousands of people and grids, and every position needs two names).
struct Names {
    staff: HashMap<String, String>,
    grids: HashMap<String, String>,
}

impl Names {
    fn of(tree: &OrgTree) -> Names {
        Names {
            staff: tree
                .staff
                .iter()
                .map(|s| (s.id.clone(), s.name.clone()))
                .collect(),
            grids: tree
                .grids
                .iter()
                .map(|g| (g.code.clone(), g.name.clone()))
                .collect(),
        }
    }

    fn grid(&self, code: &str) -> String {
        self.grids
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }
}

fn position_view(names: &Names, p: &LivePosition) -> PositionView {
    PositionView {
        staff: p.staff_id.clone(),
        name: names
            .staff
            .get(&p.staff_id)
            .cloned()
            .unwrap_or_else(|| "网格员".to_owned()),
        grid: p.grid_code.clone(),
        grid_name: names.grid(&p.grid_code),
        lat: f64::from(p.lat_e6) / 1e6,
        lon: f64::from(p.lon_e6) / 1e6,
        accuracy: p.accuracy_m,
        at: p.at,
    }
}

fn event_of(names: &Names, catalogue: &Catalogue, e: &LiveEvent) -> Option<Event> {
    let (name, data) = match e {
        LiveEvent::Position(p) => ("position", serde_json::to_string(&position_view(names, p))),
        LiveEvent::Report {
            incident,
            grid_code,
            category,
            channel,
            at,
        } => (
            "report",
            serde_json::to_string(&ReportView {
                incident: incident.clone(),
                short: super::incidents::short_id(incident),
                category: catalogue.display_path(category),
                channel: fieldgrid_core::records::Channel::parse(channel)
                    .map_or("其他", |c| c.name_zh())
                    .to_owned(),
                grid_name: names.grid(grid_code),
                at: *at,
            }),
        ),
    };
    Some(Event::default().event(name).data(data.ok()?))
}

/// `GET /ui/api/live`: the user's area's live events, as server-sent events:
/// first the positions of the last quarter hour, then each position and new
/// report as it arrives.
pub async fn live(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    let caller = caller(&state, &signed).await?;
    live::ensure_listening(&state).await?;
    // Subscribe before reading the snapshot, so nothing falls between the two.
    let rx = state.live.subscribe();
    let snapshot = live::positions(&state, &caller).await?;
    let catalogue = state.catalogue().await?;
    let names = Names::of(&caller.tree);
    let first: Vec<Event> = snapshot
        .iter()
        .filter_map(|p| event_of(&names, &catalogue, &LiveEvent::Position(p.clone())))
        .collect();
    struct Follow {
        rx: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
        caller: Caller,
        catalogue: Arc<Catalogue>,
        state: AppState,
        first: std::vec::IntoIter<Event>,
        names: Names,
        closed: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    }
    let closed = Box::pin(state.live.closed());
    let follow = Follow {
        rx,
        caller,
        catalogue,
        state,
        first: first.into_iter(),
        names,
        closed,
    };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        if let Some(e) = f.first.next() {
            return Some((Ok(e), f));
        }
        loop {
            let next = tokio::select! {
                e = f.rx.recv() => e,
                () = &mut f.closed => return None,
            };
            match next {
                Ok(e) if f.caller.sees(e.grid()) => {
                    if let Some(ev) = event_of(&f.names, &f.catalogue, &e) {
                        f.state.metrics.live_events_sent.inc();
                        return Some((Ok(ev), f));
                    }
                }
                Ok(_) => {}
                // A page that fell behind skips ahead; the next position replaces
                // what it missed.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The big screen's figures.
#[derive(Serialize)]
pub struct ScreenData {
    /// Today in Chinese.
    today: String,
    /// Today's figures (reported today).
    figures: Figures,
    /// Open cases by colour: pending, warning, overdue.
    queue: [u64; 3],
    /// Workers with a position in the last quarter hour.
    live_workers: usize,
    /// Today's latest reports, newest first (at most 12).
    latest: Vec<ReportView>,
}

/// `GET /ui/api/screen`: today's counts and rates, the open queue by colour, the
/// latest reports, for the user's area.
pub async fn data(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Json<ScreenData>, PageError> {
    let caller = caller(&state, &signed).await?;
    let now = crate::now();
    let today = Period::containing(PeriodKind::Day, now);
    // Open cases: those of the last 90 days (older open cases are long overdue and
    // listed on the incident pages).
    let rows = records::case_rows(&state, &caller, (now - 90 * 86_400, now + 86_400)).await?;
    let catalogue = state.catalogue().await?;
    let figures = Figures::of(&rows, today, &catalogue, now);
    let mut queue = [0u64; 3];
    for r in rows.iter().filter(|r| !r.stage.is_done()) {
        let limits = catalogue.deadlines_for_case(&r.category, r.urgency);
        let mut s = fieldgrid_core::incident::WorkflowState::new(r.reported_at);
        s.stage = r.stage;
        s.dispatched_at = r.dispatched_at;
        match colour(&s, &limits, DayCount::WorkDays, now) {
            Colour::Pending => queue[0] += 1,
            Colour::Warning => queue[1] += 1,
            Colour::Overdue => queue[2] += 1,
            Colour::Done => {}
        }
    }
    let mut todays: Vec<_> = rows
        .iter()
        .filter(|r| today.contains(r.reported_at))
        .collect();
    todays.sort_by_key(|r| std::cmp::Reverse(r.reported_at));
    let tree = caller.tree.clone();
    let latest = todays
        .into_iter()
        .take(12)
        .map(|r| ReportView {
            incident: r.id.clone(),
            short: super::incidents::short_id(&r.id),
            category: catalogue.display_path(&r.category),
            channel: r.channel.name_zh().to_owned(),
            grid_name: super::incidents::grid_name(&tree, &r.grid).to_owned(),
            at: r.reported_at,
        })
        .collect();
    Ok(Json(ScreenData {
        today: today.label_zh(),
        figures,
        queue,
        live_workers: live::positions(&state, &caller).await?.len(),
        latest,
    }))
}

/// `GET /ui/screen`: the wall display.
pub async fn page(signed: SignedIn) -> Markup {
    let tiles = std::env::var("FIELDGRID_TILE_URL").unwrap_or_default();
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { "指挥中心大屏 · 网格化治理" }
                meta name="viewport" content="width=1920, initial-scale=1";
                meta name="csrf" content=(signed.session.csrf);
                link rel="stylesheet" href="/ui/assets/leaflet.css";
                link rel="stylesheet" href="/ui/assets/screen.css";
                script src="/ui/assets/leaflet.js" {}
            }
            body.screen {
                header.screen-head {
                    h1 { "综合指挥中心 · 网格化服务管理" }
                    span #screen-clock {}
                    span #screen-status.status { "连接中…" }
                }
                section.screen-kpis {
                    div.kpi { span.k { "今日受理" } strong #s-received { "—" } }
                    div.kpi { span.k { "受理率" } strong #s-acceptance { "—" } }
                    div.kpi { span.k { "今日办结" } strong #s-closed { "—" } }
                    div.kpi { span.k { "满意率" } strong #s-satisfaction { "—" } }
                    div.kpi { span.k { "在岗网格员" } strong #s-live { "—" } }
                    div.kpi.q0 { span.k { "正常" } strong #s-q0 { "—" } }
                    div.kpi.q1 { span.k { "临期" } strong #s-q1 { "—" } }
                    div.kpi.q2 { span.k { "超期" } strong #s-q2 { "—" } }
                }
                main.screen-main {
                    div #screen-map data-tiles=(tiles) {}
                    aside.screen-side {
                        h2 { "最新上报" }
                        ol #screen-reports {}
                        h2 { "网格覆盖（今日）" }
                        div #screen-legend {
                            span.sw.c0 {} "未巡查 " span.sw.c1 {} "<30% " span.sw.c2 {} "30–70% " span.sw.c3 {} ">70%"
                        }
                    }
                }
                script src="/ui/assets/screen.js" {}
            }
        }
    }
}
