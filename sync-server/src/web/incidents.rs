//! The incident queue (filters by stage, colour, category, grid, platform), one
//! incident with its photos, place and transitions, and the supervisor's steps
//! (accept, dispatch, return, verify, close...), written as transitions that sync
//! to the phones.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use fieldgrid_core::incident::{Action, DayCount, replay};
use fieldgrid_core::records::{Incident, IncidentTransition};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use maud::{Markup, html};

use super::page::{Head, csrf_field, layout, select, table, time};
use super::{PageError, caller, replica_store};
use crate::AppState;
use crate::service::records;

/// The four platforms and their handlers' org-tree ids.
pub const PLATFORMS: [(&str, &str); 4] = [
    ("handler-zongzhi", "综治工作平台"),
    ("handler-shichang", "市场监管平台"),
    ("handler-zhifa", "综合执法平台"),
    ("handler-bianmin", "便民服务平台"),
];

/// Queue filters. Each is checked against what it may be; an unknown value is a
/// 400 naming the parameter, never echoed.
#[derive(Deserialize, Default)]
pub struct QueueFilter {
    stage: Option<String>,
    colour: Option<String>,
    category: Option<String>,
    grid: Option<String>,
    platform: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

fn opt(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// A code-like value: letters, digits, `.`, `-`, `_`, at most 64 characters.
pub(crate) fn is_code(s: &str) -> bool {
    s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl QueueFilter {
    /// Refuses values no filter can take.
    pub(crate) fn check(&self) -> Result<(), PageError> {
        let bad = |name: &str| Err(PageError::bad(format!("参数 {name} 的值无效")));
        if opt(&self.stage).is_some_and(|v| !STAGES.iter().any(|(c, _)| *c == v)) {
            return bad("stage");
        }
        if opt(&self.colour).is_some_and(|v| !COLOURS.iter().any(|(c, _)| *c == v)) {
            return bad("colour");
        }
        if opt(&self.platform).is_some_and(|v| !PLATFORMS.iter().any(|(c, _)| *c == v)) {
            return bad("platform");
        }
        if opt(&self.category).is_some_and(|v| !is_code(v)) {
            return bad("category");
        }
        if opt(&self.grid).is_some_and(|v| !is_code(v)) {
            return bad("grid");
        }
        if opt(&self.done).is_some_and(|v| v != "1") {
            return bad("done");
        }
        Ok(())
    }
}

/// Workflow stages and their names.
const STAGES: [(&str, &str); 7] = [
    ("reported", "待受理"),
    ("accepted", "已受理"),
    ("dispatched", "已派遣"),
    ("handling", "处置中"),
    ("handled", "已处置"),
    ("verified", "已核查"),
    ("closed", "已结案"),
];

/// Deadline colours and their names.
const COLOURS: [(&str, &str); 3] = [
    ("overdue", "超期"),
    ("warning", "预警"),
    ("pending", "待处"),
];

/// The incidents a user may see, filtered, as queue rows.
pub(crate) async fn queue(
    state: &AppState,
    signed: &SignedIn,
    f: &QueueFilter,
) -> Result<Vec<fieldgrid_core::incident::QueueItem>, PageError> {
    f.check()?;
    let store = replica_store(state).await?;
    let caller = caller(state, signed).await?;
    let include_done = opt(&f.done).is_some();
    let items = tokio::task::spawn_blocking(move || {
        store.incident_queue(crate::now(), DayCount::WorkDays, include_done)
    })
    .await
    .map_err(|e| PageError::bad(e.to_string()))??;
    Ok(items
        .into_iter()
        .filter(|i| caller.sees(&i.grid_code))
        .filter(|i| opt(&f.stage).is_none_or(|s| i.stage == s))
        .filter(|i| {
            opt(&f.colour).is_none_or(|c| format!("{:?}", i.colour).eq_ignore_ascii_case(c))
        })
        .filter(|i| opt(&f.category).is_none_or(|c| i.category.starts_with(c)))
        .filter(|i| opt(&f.grid).is_none_or(|g| i.grid_code == g))
        .filter(|i| opt(&f.platform).is_none_or(|p| i.assignee.as_deref() == Some(p)))
        .collect())
}

fn platform_name(id: &str) -> &str {
    PLATFORMS
        .iter()
        .find(|(p, _)| *p == id)
        .map_or(id, |(_, n)| n)
}

/// The Chinese name of a colour code (a finished incident has none).
pub(crate) fn colour_name(code: &str) -> &'static str {
    COLOURS
        .iter()
        .find(|(k, _)| *k == code)
        .map_or("已办结", |(_, n)| n)
}

/// The Chinese name of a category code (the code itself if the catalogue does
/// not know it).
pub(crate) fn category_name<'a>(
    catalogue: &'a fieldgrid_core::incident::Catalogue,
    code: &'a str,
) -> &'a str {
    catalogue.find(code).map_or(code, |c| c.name.as_str())
}

/// The Chinese name of a stage code (the code itself if unknown).
pub(crate) fn stage_name(code: &str) -> &str {
    STAGES
        .iter()
        .chain(
            [
                ("rejected", "不予受理"),
                ("returned", "已退回"),
                ("escalated", "已上报"),
            ]
            .iter(),
        )
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, n)| n)
}

/// A person's name from the org tree (the id if not there).
pub(crate) fn person_name<'a>(tree: &'a fieldgrid_core::org::OrgTree, id: &'a str) -> &'a str {
    tree.staff
        .iter()
        .find(|s| s.id == id)
        .map_or(id, |s| s.name.as_str())
}

/// `GET /ui/incidents`.
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(f): Query<QueueFilter>,
) -> Result<Markup, PageError> {
    let items = queue(&state, &signed, &f).await?;
    let catalogue = state.catalogue().await?;
    let rows: Vec<Vec<Markup>> = items
        .iter()
        .map(|i| {
            let colour = format!("{:?}", i.colour).to_lowercase();
            vec![
                html! { a.incident-link href={ "/ui/incidents/" (i.id) } data-id=(i.id) { (i.id.chars().take(8).collect::<String>()) } },
                html! { (i.grid_code) },
                html! { span data-category=(i.category) title=(catalogue.display_path(&i.category)) { (category_name(&catalogue, &i.category)) } },
                html! { span data-stage=(i.stage) { (stage_name(&i.stage)) } },
                html! { span class={ "colour-" (colour) } { (colour_name(&colour)) } },
                html! { (i.assignee.as_deref().map(platform_name).unwrap_or_default()) },
                html! { (i.due.map(time).unwrap_or_default()) },
                html! { @if i.conflicts > 0 { "⚠ " (i.conflicts) } },
            ]
        })
        .collect();
    let body = html! {
        h1 { "事件处置 " small { (items.len()) " 件" } }
        form.filters method="get" {
            label { "阶段" (select("stage", "filter-stage", Some("全部"), &STAGES, opt(&f.stage))) }
            label { "颜色" (select("colour", "filter-colour", Some("全部"), &COLOURS, opt(&f.colour))) }
            label { "平台" (select("platform", "filter-platform", Some("全部"), &PLATFORMS, opt(&f.platform))) }
            label { "类别" input name="category" value=(opt(&f.category).unwrap_or("")) placeholder="如 fire"; }
            label { "网格" input name="grid" value=(opt(&f.grid).unwrap_or("")); }
            label { span { "含已办结" } input type="checkbox" name="done" value="1" checked[opt(&f.done).is_some()]; }
            button { "筛选" }
            " "
            a href="/ui/export/incidents.csv" { "导出 CSV" }
        }
        (table("incident-queue", &["编号", "网格", "类别", "阶段", "状态", "承办平台", "期限", "冲突"], &rows))
    };
    Ok(layout(&signed, "事件", "incidents", Head::default(), body))
}

/// `GET /ui/incidents/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> Result<Markup, PageError> {
    let notice = match q.notice.as_deref() {
        None => None,
        Some("sent") => Some("已提交，将同步到相关人员的手机"),
        Some(_) => return Err(PageError::bad("参数 notice 的值无效")),
    };
    render_detail(&state, &signed, &id, notice, None).await
}

/// The incident page, with a notice or an error above it.
async fn render_detail(
    state: &AppState,
    signed: &SignedIn,
    id: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let caller = caller(state, signed).await?;
    let i: Incident = records::get(state, &caller, id).await?;
    let tree = caller.tree.clone();
    let catalogue = state.catalogue().await?;
    let state_now = replay(&i);
    let transitions: Vec<Vec<Markup>> = i
        .transitions
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let conflict = state_now.conflicts.iter().find(|c| c.index == n);
            vec![
                html! { (time(t.at)) },
                html! { (person_name(&tree, &t.by)) },
                html! { (t.role) },
                html! { (stage_name(&t.from)) " → " (stage_name(&t.to)) },
                html! { (t.note) },
                html! { (t.assignee.as_deref().map(platform_name).unwrap_or_default()) },
                html! { @if let Some(c) = conflict { "⚠ " (c.reason) } },
            ]
        })
        .collect();
    // The incident's place on a small map with its grid's boundary.
    let ring: Vec<[f64; 2]> = tree
        .grids
        .iter()
        .find(|g| g.code == i.grid_code)
        .and_then(|g| g.boundary.first())
        .map(|r| r.iter().map(|p| [p[1], p[0]]).collect())
        .unwrap_or_default();
    let steps = [
        ("accepted", "受理"),
        ("dispatched", "派遣"),
        ("returned", "退回"),
        ("verified", "核查通过"),
        ("reopened", "核查不通过"),
        ("closed", "结案"),
        ("rejected", "不予受理"),
        ("escalated", "上报上级"),
    ];
    let body = html! {
        h1 { "事件 " (id.chars().take(8).collect::<String>()) }
        @if let Some(n) = notice { p.notice #notice { (n) } }
        @if let Some(e) = error { p.error #step-error { (e) } }
        div.cards {
            div.card {
                p {
                    b { "类别" } " " span data-category=(i.category) { (catalogue.display_path(&i.category)) } "　"
                    b { "网格" } " " (i.grid_code) "　"
                    b { "阶段" } " " span #incident-stage data-stage=(state_now.stage.as_str()) { (stage_name(state_now.stage.as_str())) } "　"
                    b { "承办" } " " (state_now.assignee.as_deref().map(platform_name).unwrap_or_default())
                }
                p { b { "描述" } " " (i.description) }
                p {
                    b { "上报" } " " (person_name(&tree, &i.reporter_id)) " · " (time(i.reported_at)) "　"
                    b { "位置" } " "
                    @match i.location {
                        Some(p) => { (format!("{:.5}, {:.5}", p.lat, p.lon)) }
                        None => { "未定位" }
                    }
                }
                div.photos {
                    @for h in &i.photos {
                        img.incident-photo src={ "/ui/photos/" (h) } alt="现场照片";
                    }
                }
                @if let Some(p) = i.location {
                    // Drawn by a script file from data attributes: the CSP allows no inline script.
                    div #incident-map .minimap data-ring=(serde_json::to_string(&ring).unwrap_or_else(|_| "[]".into())) data-lat=(p.lat) data-lon=(p.lon) {}
                    script src="/ui/assets/incident-map.js" {}
                }
            }
            div.card {
                h3 { "处置" }
                form #step-form method="post" action={ "/ui/incidents/" (id) "/step" } {
                    (csrf_field(signed))
                    label { "操作 " (select("to", "step-to", None, &steps, None)) }
                    label { "派往 " (select("assignee", "step-assignee", Some("—"), &PLATFORMS, None)) }
                    label { "说明 " input name="note" #step-note; }
                    button #step-submit { "提交" }
                }
            }
        }
        h3 { "流转记录" }
        (table("transitions", &["时间", "人员", "角色", "环节", "说明", "承办", "冲突"], &transitions))
    };
    Ok(layout(
        signed,
        "事件",
        "incidents",
        Head { leaflet: true },
        body,
    ))
}

/// A fixed message shown after an action (`?notice=sent`).
#[derive(Deserialize, Default)]
pub struct Notice {
    notice: Option<String>,
}

/// The step form.
#[derive(Deserialize)]
pub struct StepForm {
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    assignee: String,
}

/// `POST /ui/incidents/{id}/step`: the step is checked by the same replay the
/// phones run before it is written; a step that would not apply is refused here
/// with the reason instead of becoming a conflict.
pub async fn step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, form: f }: CsrfForm<StepForm>,
) -> Result<Response, PageError> {
    if Action::parse(&f.to).is_none() {
        return Err(PageError::bad("参数 to 的值无效"));
    }
    if !f.assignee.is_empty() && !PLATFORMS.iter().any(|(p, _)| *p == f.assignee) {
        return Err(PageError::bad("参数 assignee 的值无效"));
    }
    let caller = caller(&state, &signed).await?;
    let incident: Incident = records::get(&state, &caller, &id).await?;
    let staff = caller.staff.clone();
    let roles = caller.roles_over(&incident.grid_code);
    let current = replay(&incident);
    let assignee = Some(f.assignee.clone()).filter(|a| !a.is_empty());
    // Try each role the user holds over the grid; write with the first that applies.
    for role in &roles {
        let t = IncidentTransition {
            by: staff.clone(),
            role: role.as_str().to_owned(),
            at: crate::now(),
            from: current.stage.as_str().to_owned(),
            to: f.to.clone(),
            note: f.note.clone(),
            assignee: assignee.clone(),
        };
        let mut trial = incident.clone();
        trial.transitions.push(t.clone());
        if replay(&trial).conflicts.len() > current.conflicts.len() {
            continue;
        }
        records::incident_step(&state, &caller, &id, t).await?;
        tracing::info!(incident = %id, to = %f.to, by = %staff, "incident step from the web");
        return Ok(Redirect::to(&format!("/ui/incidents/{id}?notice=sent")).into_response());
    }
    let mut trial = incident.clone();
    trial.transitions.push(IncidentTransition {
        by: staff.clone(),
        role: roles.first().map_or("none", |r| r.as_str()).to_owned(),
        at: crate::now(),
        from: current.stage.as_str().to_owned(),
        to: f.to.clone(),
        note: f.note.clone(),
        assignee,
    });
    let reason = replay(&trial)
        .conflicts
        .last()
        .map(|c| c.reason.clone())
        .unwrap_or_else(|| "not allowed".into());
    let page = render_detail(
        &state,
        &signed,
        &id,
        None,
        Some(&format!("无法执行：{reason}")),
    )
    .await?;
    Ok((axum::http::StatusCode::CONFLICT, page).into_response())
}

/// `GET /ui/photos/{hash}`: an uploaded photo, for signed-in users whose area holds
/// a record naming it.
pub async fn photo(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(hash): Path<String>,
) -> Result<Response, PageError> {
    let caller = caller(&state, &signed).await?;
    let bytes = records::photo(&state, &caller, &hash).await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
}
