//! 我的任务: the work surface of everyone in the loop, on a PC or a phone's
//! browser: the command centre's cases to accept, dispatch, close and call back;
//! a unit's lead, joint and supervised cases (urged ones first); the verifier's
//! list; each with the steps that role may take there (on the incident page).
//! `kind` narrows it to one list (`verify`: 核查清单, `follow_up`: 回访清单), and
//! 催办 lists the cases at warning or overdue per lead unit.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use fieldgrid_core::incident::{Colour, TaskKind};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::SignedIn;
use super::incidents::{
    QueueFilter, category_name, colour_name, grid_name, queue, short_id, unit_name,
};
use super::page::{Head, layout, table, time};
use super::{PageError, caller};
use crate::AppState;
use crate::service::records;

/// Every task kind, in the order the page lists them.
const KINDS: [TaskKind; 9] = [
    TaskKind::Accept,
    TaskKind::Dispatch,
    TaskKind::Lead,
    TaskKind::Joint,
    TaskKind::Supervise,
    TaskKind::Verify,
    TaskKind::Close,
    TaskKind::FollowUp,
    TaskKind::Reprocess,
];

/// `?kind=`: one list only.
#[derive(Deserialize, Default)]
pub struct TaskFilter {
    kind: Option<String>,
}

/// `GET /ui/tasks`.
pub async fn tasks(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(f): Query<TaskFilter>,
) -> Result<Markup, PageError> {
    let only = match f.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            KINDS
                .into_iter()
                .find(|t| t.as_str() == k)
                .ok_or_else(|| PageError::bad("参数 kind 的值无效"))?,
        ),
    };
    let caller = caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let catalogue = state.catalogue().await?;
    let all = records::tasks(&state, &caller).await?;
    let mut by_kind: BTreeMap<usize, Vec<&fieldgrid_core::incident::Task>> = BTreeMap::new();
    for t in &all {
        if only.is_none_or(|k| k == t.kind) {
            let rank = KINDS.iter().position(|k| *k == t.kind).unwrap_or(0);
            by_kind.entry(rank).or_default().push(t);
        }
    }
    let body = html! {
        h1 { "我的任务" }
        p.filters {
            a href="/ui/tasks" { "全部" }
            @for k in KINDS { " · " a href={ "/ui/tasks?kind=" (k.as_str()) } { (k.name_zh()) } }
        }
        @if by_kind.is_empty() { p #no-tasks { "暂无待办任务" } }
        @for (rank, list) in &by_kind {
            @let kind = KINDS[*rank];
            h3 { (kind.name_zh()) " (" (list.len()) ")" }
            (table(&format!("tasks-{}", kind.as_str()), &["事件", "类别", "网格", "阶段", "颜色", "期限", "本单位", "联办任务", "催办", "可办理"], &list.iter().map(|t| {
                let i = &t.incident;
                vec![
                    html! { a href={ "/ui/incidents/" (i.id) } { (short_id(&i.id)) } },
                    html! { (category_name(&catalogue, &i.category)) },
                    html! { (grid_name(&tree, &i.grid_code)) },
                    html! { (i.stage_name) },
                    html! { span class={ "colour " (format!("{:?}", i.colour).to_lowercase()) } { (colour_name(&format!("{:?}", i.colour).to_lowercase())) } },
                    html! { @if let Some(d) = t.part_due.or(i.due) { (time(d)) } },
                    html! { (t.unit_name.as_deref().unwrap_or_default()) },
                    html! { @if let Some(task) = &t.part_task { (task) " · " (t.part_status.map(|s| s.name_zh()).unwrap_or_default()) } },
                    html! { @if let Some(u) = t.urged_at { strong.urged { "⚑ 已催办 " (time(u)) } } },
                    html! { (t.actions.iter().map(|a| a.name_zh()).collect::<Vec<_>>().join("、")) },
                ]
            }).collect::<Vec<_>>()))
        }
    };
    Ok(layout(&signed, "我的任务", "tasks", Head::default(), body))
}

/// `GET /ui/urging`: cases being handled at warning or overdue, per lead unit,
/// for the command centre to urge (online, by phone or in person) from each
/// case's page.
pub async fn urging(State(state): State<AppState>, signed: SignedIn) -> Result<Markup, PageError> {
    let items = queue(&state, &signed, &QueueFilter::default()).await?;
    let caller = caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    let catalogue = state.catalogue().await?;
    let mut by_unit: BTreeMap<String, Vec<&fieldgrid_core::incident::QueueItem>> = BTreeMap::new();
    for i in &items {
        if matches!(i.colour, Colour::Overdue | Colour::Warning)
            && matches!(i.stage.as_str(), "dispatched" | "handling")
            && let Some(unit) = &i.assignee
        {
            by_unit.entry(unit.clone()).or_default().push(i);
        }
    }
    let parts = records::joint_parts_due(&state, &caller).await?;
    let now = crate::now();
    let body = html! {
        h1 { "催办" }
        p { "处置中已预警或超期的事件按主办单位列出，一天内到期或已超期的联办任务按联办单位列出；在事件页选择“催办”，记录方式、事由和承诺办结日期。" }
        @if by_unit.is_empty() && parts.is_empty() { p #no-urging { "暂无需要催办的事件" } }
        @if !parts.is_empty() {
            h3 { "联办任务" " (" (parts.len()) ")" }
            (table("urging-parts", &["事件", "类别", "网格", "联办单位", "任务", "期限", "状态", "催办"], &parts.iter().map(|p| vec![
                html! { a href={ "/ui/incidents/" (p.id) } { (short_id(&p.id)) } },
                html! { (category_name(&catalogue, &p.category)) },
                html! { (grid_name(&tree, &p.grid_code)) },
                html! { span data-unit=(p.unit) { (p.unit_name) } },
                html! { (p.task) },
                html! { (time(p.due)) },
                html! { @if p.due < now { span.colour.overdue { "超期" } } @else { span.colour.warning { "即将到期" } } },
                html! { @if let Some(u) = p.urged_at { strong.urged { "⚑ 已催办 " (time(u)) } } },
            ]).collect::<Vec<_>>()))
        }
        @for (unit, list) in &by_unit {
            h3 data-unit=(unit) { (unit_name(&tree, unit)) " (" (list.len()) ")" }
            (table("urging", &["事件", "类别", "网格", "阶段", "颜色", "期限"], &list.iter().map(|i| vec![
                html! { a href={ "/ui/incidents/" (i.id) } { (short_id(&i.id)) } },
                html! { (category_name(&catalogue, &i.category)) },
                html! { (grid_name(&tree, &i.grid_code)) },
                html! { (i.stage_name) },
                html! { span class={ "colour " (format!("{:?}", i.colour).to_lowercase()) } { (colour_name(&format!("{:?}", i.colour).to_lowercase())) } },
                html! { @if let Some(d) = i.due { (time(d)) } },
            ]).collect::<Vec<_>>()))
        }
    };
    Ok(layout(&signed, "催办", "urging", Head::default(), body))
}
