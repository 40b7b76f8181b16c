//! The incident queue (filters by stage, colour, category, grid, platform), one
//! incident with its photos, place and transitions, and the supervisor's steps
//! (accept, dispatch, return, verify, close...), written as transitions that sync
//! to the phones.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use fieldgrid_core::incident::replay;
use fieldgrid_core::records::{Incident, IncidentTransition};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use maud::{Markup, html};

use super::page::{Head, csrf_field, layout, select, table, time};
use super::{PageError, caller};
use crate::AppState;
use crate::service::records;

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
        if opt(&self.platform).is_some_and(|v| !is_code(v)) {
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
    let caller = caller(state, signed).await?;
    let items = records::queue(state, &caller, opt(&f.done).is_some()).await?;
    Ok(items
        .into_iter()
        .filter(|i| opt(&f.stage).is_none_or(|s| i.stage == s))
        .filter(|i| {
            opt(&f.colour).is_none_or(|c| format!("{:?}", i.colour).eq_ignore_ascii_case(c))
        })
        .filter(|i| opt(&f.category).is_none_or(|c| i.category.starts_with(c)))
        .filter(|i| opt(&f.grid).is_none_or(|g| i.grid_code == g))
        .filter(|i| opt(&f.platform).is_none_or(|p| i.assignee.as_deref() == Some(p)))
        .collect())
}

/// A handling unit's Chinese name (the code if the org tree lacks it).
pub(crate) fn unit_name<'a>(tree: &'a fieldgrid_core::org::OrgTree, code: &'a str) -> &'a str {
    tree.work_unit(code).map_or(code, |u| u.name.as_str())
}

/// A grid's Chinese name (the code if the org tree lacks it).
pub(crate) fn grid_name<'a>(tree: &'a fieldgrid_core::org::OrgTree, code: &'a str) -> &'a str {
    tree.grids
        .iter()
        .find(|g| g.code == code)
        .map_or(code, |g| g.name.as_str())
}

/// A role's Chinese name (the code if unknown).
pub(crate) fn role_name(code: &str) -> &str {
    match fieldgrid_core::org::Role::parse(code) {
        Some(r) => r.name_zh(),
        None => code,
    }
}

/// Who reported: a person's name, or the intake channel's for a hotline or a
/// resident.
pub(crate) fn reporter_name<'a>(tree: &'a fieldgrid_core::org::OrgTree, id: &'a str) -> &'a str {
    if id.starts_with("hotline:") {
        "12345热线"
    } else if id == "public" {
        "群众"
    } else {
        person_name(tree, id)
    }
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

/// An incident's short number for people: the last 8 characters of its id (the
/// first ones of a time-ordered id are the same for a day's cases).
pub(crate) fn short_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    chars[chars.len().saturating_sub(8)..].iter().collect()
}

/// The Chinese name of a stage or step code (the code itself if unknown).
pub(crate) fn stage_name(code: &str) -> &str {
    if let Some(stage) = fieldgrid_core::incident::Stage::parse(code) {
        return stage.name_zh();
    }
    match code {
        "returned" => "已退回",
        "escalated" => "已上报",
        "reopened" => "核查不通过",
        "resolved_on_spot" => "现场解决",
        _ => fieldgrid_core::incident::Action::parse(code).map_or(code, |a| a.name_zh()),
    }
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
    let tree = state.org_tree().await?;
    let units: Vec<(&str, &str)> = tree
        .work_units
        .iter()
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    let rows: Vec<Vec<Markup>> = items
        .iter()
        .map(|i| {
            let colour = format!("{:?}", i.colour).to_lowercase();
            vec![
                html! { a.incident-link href={ "/ui/incidents/" (i.id) } data-id=(i.id) { (short_id(&i.id)) } },
                html! { span data-grid=(i.grid_code) { (grid_name(&tree, &i.grid_code)) } },
                html! { span data-category=(i.category) title=(catalogue.display_path(&i.category)) { (category_name(&catalogue, &i.category)) } },
                html! { span data-channel=(i.channel.as_str()) { (i.channel.name_zh()) } },
                html! { span data-stage=(i.stage) { (stage_name(&i.stage)) } },
                html! { span class={ "colour-" (colour) } { (colour_name(&colour)) } },
                html! { (i.assignee.as_deref().map(|a| unit_name(&tree, a)).unwrap_or_default()) @if i.level > 0 { " " span.level { "（县级）" } } },
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
            label { "承办单位" (select("platform", "filter-platform", Some("全部"), &units, opt(&f.platform))) }
            label { "类别" input name="category" value=(opt(&f.category).unwrap_or("")) placeholder="如 fire"; }
            label { "网格" input name="grid" value=(opt(&f.grid).unwrap_or("")); }
            label { span { "含已办结" } input type="checkbox" name="done" value="1" checked[opt(&f.done).is_some()]; }
            button { "筛选" }
            " "
            a href="/ui/export/incidents.csv" { "导出 CSV" }
            " "
            a #new-intake href="/ui/intake" { "登记受理" }
        }
        (table("incident-queue", &["编号", "网格", "类别", "来源", "阶段", "状态", "承办单位", "期限", "冲突"], &rows))
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
        Some("taken") => Some("已登记，进入待受理队列"),
        Some(_) => return Err(PageError::bad("参数 notice 的值无效")),
    };
    render_detail(&state, &signed, &id, notice, None, None).await
}

/// `POST /ui/incidents/{id}/contact`: the page again with the resident's full
/// name and phone, for the command centre's call. A POST with the CSRF token,
/// never in a URL; each showing is logged without the number.
pub async fn contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, .. }: CsrfForm<super::incident_steps::Nothing>,
) -> Result<Markup, PageError> {
    let caller = caller(&state, &signed).await?;
    let contact = records::contact_for_call(&state, &caller, &id).await?;
    render_detail(&state, &signed, &id, None, None, Some(&contact)).await
}

/// The incident page, with a notice or an error above it.
async fn render_detail(
    state: &AppState,
    signed: &SignedIn,
    id: &str,
    notice: Option<&str>,
    error: Option<&str>,
    revealed: Option<&fieldgrid_core::records::ResidentContact>,
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
                html! { span data-role=(t.role) { (role_name(&t.role)) } },
                html! { (stage_name(&t.from)) " → " (stage_name(&t.to)) },
                html! { (t.note) },
                html! {
                    (t.assignee.as_deref().or(t.part.as_deref()).or(t.urge.as_ref().map(|u| u.unit.as_str())).map(|a| unit_name(&tree, a)).unwrap_or_default())
                    @if let Some(a) = t.answer { " " (a.name_zh()) }
                },
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
    // Routing: the units of the level holding the case, the suggested one first.
    let grade = catalogue
        .grade_for(&i.category)
        .unwrap_or(fieldgrid_core::incident::Grade::Ordinary);
    let suggested = tree.suggest_unit(
        &catalogue,
        &i.category,
        grade,
        &i.grid_code,
        state_now.level,
    );
    let within = if state_now.level > 0 {
        tree.county().map(|c| c.code.clone())
    } else {
        tree.town_of_grid(&i.grid_code).map(|t| t.code.clone())
    };
    let unit_labels: Vec<(String, String)> = tree
        .work_units
        .iter()
        .filter(|u| Some(&u.within) == within.as_ref())
        .map(|u| {
            let label = if Some(u.code.as_str()) == suggested.map(|s| s.code.as_str()) {
                format!("{}（建议）", u.name)
            } else {
                u.name.clone()
            };
            (u.code.clone(), label)
        })
        .collect();
    let unit_options: Vec<(&str, &str)> = unit_labels
        .iter()
        .map(|(c, l)| (c.as_str(), l.as_str()))
        .collect();
    let body = html! {
        h1 { "事件 " (short_id(id)) }
        @if let Some(n) = notice { p.notice #notice { (n) } }
        @if let Some(e) = error { p.error #step-error { (e) } }
        div.cards {
            div.card {
                p {
                    b { "类别" } " " span data-category=(i.category) { (catalogue.display_path(&i.category)) } "　"
                    b { "网格" } " " span data-grid=(i.grid_code) { (grid_name(&tree, &i.grid_code)) } "　"
                    b { "阶段" } " " span #incident-stage data-stage=(state_now.stage.as_str()) { (stage_name(state_now.stage.as_str())) } "　"
                    b { "层级" } " " span #incident-level { (if state_now.level > 0 { "县指挥中心" } else { "镇指挥中心" }) } "　"
                    b { "承办" } " " span #incident-unit { (state_now.assignee.as_deref().map(|a| unit_name(&tree, a)).unwrap_or_default()) }
                }
                p {
                    b { "来源" } " " span #incident-channel data-channel=(i.channel.as_str()) { (i.channel.name_zh()) } "　"
                    b { "紧急程度" } " " (i.urgency.name_zh()) "　"
                    @if let Some(t) = &i.ticket { b { "热线工单" } " " (t) "　" }
                    @if let Some(c) = &i.contact {
                        b { "反映人" } " "
                        @if let Some(full) = revealed {
                            span #incident-contact-full { (full.name) " " a href={ "tel:" (full.phone) } { (full.phone) } }
                        } @else {
                            span #incident-contact { (c.masked_name()) " " (c.masked_phone()) }
                            form.inline #contact-form method="post" action={ "/ui/incidents/" (id) "/contact" } {
                                (csrf_field(signed))
                                button #contact-show { "显示完整电话（回访用）" }
                            }
                        }
                    }
                }
                p { b { "描述" } " " (i.description) }
                @if let Some(a) = &i.address { p { b { "地址" } " " (a) } }
                p {
                    b { "上报" } " " (reporter_name(&tree, &i.reporter_id)) " · " (time(i.reported_at)) "　"
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
                    (super::incident_steps::form(&tree, &state_now, &unit_options, suggested.map(|u| u.code.as_str())))
                    @if let Some(u) = suggested { span #routing-suggestion data-unit=(u.code) { "建议派往：" (u.name) } }
                    button #step-submit { "提交" }
                }
            }
        }
        @if !state_now.parts.is_empty() || state_now.supervisor.is_some() {
            h3 { "联办与督办" }
            @if let Some(sup) = &state_now.supervisor { p #incident-supervisor { b { "督办单位" } " " (unit_name(&tree, sup)) } }
            (table("parts", &["联办单位", "任务", "期限", "状态", "说明"], &state_now.parts.iter().map(|p| vec![
                html! { span data-unit=(p.unit) { (unit_name(&tree, &p.unit)) } },
                html! { (p.task) },
                html! { @if let Some(d) = p.due { (time(d)) } },
                html! { span data-part-status=(p.status.as_str()) { (p.status.name_zh()) } },
                html! { (p.note) },
            ]).collect::<Vec<_>>()))
        }
        @if !state_now.urges.is_empty() {
            h3 { "催办记录" }
            (table("urges", &["时间", "催办人", "被催办单位", "方式", "事由", "承诺办结"], &state_now.urges.iter().map(|u| vec![
                html! { (time(u.at)) },
                html! { (person_name(&tree, &u.by)) },
                html! { (unit_name(&tree, &u.unit)) },
                html! { (u.method.name_zh()) },
                html! { (u.note) },
                html! { @if let Some(d) = u.promised { (time(d)) } },
            ]).collect::<Vec<_>>()))
        }
        @if !state_now.follow_ups.is_empty() {
            h3 { "回访记录" }
            (table("follow-ups", &["时间", "回访人", "评价", "群众意见"], &state_now.follow_ups.iter().map(|f| vec![
                html! { (time(f.at)) },
                html! { (person_name(&tree, &f.by)) },
                html! { span data-answer=(f.answer.as_str()) { (f.answer.name_zh()) } },
                html! { (f.note) },
            ]).collect::<Vec<_>>()))
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

/// `POST /ui/incidents/{id}/step`: the step is checked by the same replay the
/// phones run before it is written; a step that would not apply is refused here
/// with the reason instead of becoming a conflict.
pub async fn step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, form: f }: CsrfForm<super::incident_steps::StepForm>,
) -> Result<Response, PageError> {
    let (_, template) = f.transition(&*state.org_tree().await?)?;
    let caller = caller(&state, &signed).await?;
    let incident: Incident = records::get(&state, &caller, &id).await?;
    let staff = caller.staff.clone();
    let roles = caller.roles_over(&incident.grid_code);
    let current = replay(&incident);
    // Try each role the user holds over the grid; write with the first that applies.
    for role in &roles {
        let t = IncidentTransition {
            by: staff.clone(),
            role: role.as_str().to_owned(),
            at: crate::now(),
            from: current.stage.as_str().to_owned(),
            ..template.clone()
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
        ..template
    });
    let reason = replay(&trial)
        .conflicts
        .last()
        .map(|c| c.reason.clone())
        .unwrap_or_else(|| "无权执行此操作".into());
    let page = render_detail(
        &state,
        &signed,
        &id,
        None,
        Some(&format!("无法执行：{reason}")),
        None,
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
