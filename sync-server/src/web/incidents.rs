//! The incident queue (filters by stage, colour, category, grid, platform), one
//! incident with its photos, place and transitions, and the supervisor's steps
//! (accept, dispatch, return, verify, close...), written as transitions that sync
//! to the phones.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use fieldgrid_core::incident::{Action, DayCount, replay};
use fieldgrid_core::records::{Incident, IncidentTransition};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use super::page::{escape, layout, table, time};
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

/// `GET /ui/incidents`.
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(f): Query<QueueFilter>,
) -> Result<Html<String>, PageError> {
    let items = queue(&state, &signed, &f).await?;
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let colour = format!("{:?}", i.colour).to_lowercase();
            vec![
                format!(r#"<a href="/ui/incidents/{id}" class="incident-link" data-id="{id}">{short}</a>"#, id = escape(&i.id), short = escape(&i.id[..8.min(i.id.len())])),
                escape(&i.grid_code),
                escape(&i.category),
                escape(&i.stage),
                format!(r#"<span class="colour-{colour}">{colour}</span>"#),
                i.assignee.as_deref().map(platform_name).map(escape).unwrap_or_default(),
                i.due.map(time).unwrap_or_default(),
                if i.conflicts > 0 { format!("⚠ {}", i.conflicts) } else { String::new() },
            ]
        })
        .collect();
    let sel = |name: &str, v: &Option<String>, options: &[(&str, &str)]| {
        let opts: String = options
            .iter()
            .map(|(val, label)| {
                let s = if opt(v) == Some(*val) {
                    " selected"
                } else {
                    ""
                };
                format!(r#"<option value="{val}"{s}>{label}</option>"#)
            })
            .collect();
        format!(
            r#"<label>{name}<select name="{key}" id="filter-{key}"><option value="">全部</option>{opts}</select></label>"#,
            key = name_key(name)
        )
    };
    let body = format!(
        r#"<h1>事件处置 <small>{n} 件</small></h1>
<form class="filters" method="get">{s}{c}{p}
<label>类别<input name="category" value="{cat}" placeholder="如 fire"></label>
<label>网格<input name="grid" value="{grid}"></label>
<label><span>含已办结</span><input type="checkbox" name="done" value="1"{done}></label>
<button>筛选</button> <a href="/ui/export/incidents.csv">导出 CSV</a></form>
{t}"#,
        n = items.len(),
        s = sel("阶段", &f.stage, &STAGES),
        c = sel("颜色", &f.colour, &COLOURS),
        p = sel("平台", &f.platform, &PLATFORMS),
        cat = escape(opt(&f.category).unwrap_or("")),
        grid = escape(opt(&f.grid).unwrap_or("")),
        done = if opt(&f.done).is_some() {
            " checked"
        } else {
            ""
        },
        t = table(
            "incident-queue",
            &[
                "编号",
                "网格",
                "类别",
                "阶段",
                "状态",
                "承办平台",
                "期限",
                "冲突"
            ],
            &rows
        ),
    );
    Ok(layout(&signed, "事件", "incidents", "", &body))
}

fn name_key(label: &str) -> &'static str {
    match label {
        "阶段" => "stage",
        "颜色" => "colour",
        _ => "platform",
    }
}

/// `GET /ui/incidents/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> Result<Html<String>, PageError> {
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
) -> Result<Html<String>, PageError> {
    let caller = caller(state, signed).await?;
    let i: Incident = records::get(state, &caller, id).await?;
    let tree = caller.tree.clone();
    let state_now = replay(&i);
    let transitions: Vec<Vec<String>> = i
        .transitions
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let conflict = state_now
                .conflicts
                .iter()
                .find(|c| c.index == n)
                .map(|c| format!("⚠ {}", escape(&c.reason)))
                .unwrap_or_default();
            vec![
                time(t.at),
                escape(&t.by),
                escape(&t.role),
                format!("{} → {}", escape(&t.from), escape(&t.to)),
                escape(&t.note),
                t.assignee
                    .as_deref()
                    .map(platform_name)
                    .map(escape)
                    .unwrap_or_default(),
                conflict,
            ]
        })
        .collect();
    let photos: String = i
        .photos
        .iter()
        .map(|h| {
            format!(
                r#"<img src="/ui/photos/{h}" alt="现场照片" class="incident-photo">"#,
                h = escape(h)
            )
        })
        .collect();
    let place = i
        .location
        .map(|p| format!("{:.5}, {:.5}", p.lat, p.lon))
        .unwrap_or_else(|| "未定位".into());
    // The incident's place on a small map with its grid's boundary.
    let ring: Vec<[f64; 2]> = tree
        .grids
        .iter()
        .find(|g| g.code == i.grid_code)
        .and_then(|g| g.boundary.first())
        .map(|r| r.iter().map(|p| [p[1], p[0]]).collect())
        .unwrap_or_default();
    let minimap = match i.location {
        // Drawn by a script file from data attributes: the CSP allows no inline script.
        Some(p) => format!(
            r#"<div id="incident-map" class="minimap" data-ring="{ring}" data-lat="{lat}" data-lon="{lon}"></div><script src="/ui/assets/incident-map.js"></script>"#,
            ring = escape(&serde_json::to_string(&ring).unwrap_or_else(|_| "[]".into())),
            lat = p.lat,
            lon = p.lon,
        ),
        None => String::new(),
    };
    let platforms: String = PLATFORMS
        .iter()
        .map(|(v, n)| format!(r#"<option value="{v}">{n}</option>"#))
        .collect();
    let notice = notice
        .map(|n| format!(r#"<p class="notice" id="notice">{}</p>"#, escape(n)))
        .unwrap_or_default();
    let error = error
        .map(|n| format!(r#"<p class="error" id="step-error">{}</p>"#, escape(n)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>事件 {short}</h1>{notice}{error}
<div class="cards"><div class="card">
<p><b>类别</b> {cat}　<b>网格</b> {grid}　<b>阶段</b> <span id="incident-stage">{stage}</span>　<b>承办</b> {assignee}</p>
<p><b>描述</b> {desc}</p><p><b>上报</b> {reporter} · {reported}　<b>位置</b> {place}</p>
<div class="photos">{photos}</div>{minimap}</div>
<div class="card"><h3>处置</h3>
<form method="post" action="/ui/incidents/{id}/step" id="step-form">
<input type="hidden" name="csrf" value="{csrf}">
<label>操作 <select name="to" id="step-to">
<option value="accepted">受理</option><option value="dispatched">派遣</option><option value="returned">退回</option>
<option value="verified">核查通过</option><option value="reopened">核查不通过</option><option value="closed">结案</option>
<option value="rejected">不予受理</option><option value="escalated">上报上级</option></select></label>
<label>派往 <select name="assignee" id="step-assignee"><option value="">—</option>{platforms}</select></label>
<label>说明 <input name="note" id="step-note"></label>
<button id="step-submit">提交</button></form></div></div>
<h3>流转记录</h3>{t}"#,
        short = escape(&id[..8.min(id.len())]),
        id = escape(id),
        cat = escape(&i.category),
        grid = escape(&i.grid_code),
        stage = escape(state_now.stage.as_str()),
        assignee = state_now
            .assignee
            .as_deref()
            .map(platform_name)
            .map(escape)
            .unwrap_or_default(),
        desc = escape(&i.description),
        reporter = escape(&i.reporter_id),
        reported = time(i.reported_at),
        csrf = escape(&signed.session.csrf),
        t = table(
            "transitions",
            &["时间", "人员", "角色", "环节", "说明", "承办", "冲突"],
            &transitions
        ),
    );
    let head = r#"<link rel="stylesheet" href="/ui/assets/leaflet.css"><script src="/ui/assets/leaflet.js"></script>"#;
    Ok(layout(signed, "事件", "incidents", head, &body))
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
