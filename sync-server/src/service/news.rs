//! News for the people in the loop (消息): which steps of a pushed incident are
//! news, for whom, and the phones' cheap "anything for me?" check.
//!
//! A dispatch is news for the lead, joint and supervising units; an urge for the
//! unit urged; a joint part's finish for the lead, its return for the lead and
//! the command centre, a redo for the joint unit; a finished case for the town's
//! verifiers; a verified or returned case, and a new report, for the command
//! centre holding it. Targets are `unit:<code>`, `centre:<town or county code>`
//! and `verify:<town code>`.

use fieldgrid_core::incident::{Action, replay};
use fieldgrid_core::org::{OrgTree, Role, Scope, UnitLevel};
pub use fieldgrid_core::protocol::NewsCheck;
use fieldgrid_core::records::{Incident, IncidentTransition};

use super::{Caller, ServiceError};
use crate::AppState;
use crate::storage::NewsItem;

/// How long news is kept (a phone that checks less often syncs anyway).
pub const NEWS_DAYS: i64 = 14;

/// The news `after`'s new steps make (steps not in `before`); `before` is `None`
/// for a new incident.
pub(crate) fn news_of(
    tree: &OrgTree,
    id: &str,
    before: Option<&Incident>,
    after: &Incident,
    at: i64,
) -> Vec<NewsItem> {
    let mut known: Vec<&IncidentTransition> =
        before.iter().flat_map(|b| b.transitions.iter()).collect();
    let state = replay(after);
    let town = tree
        .town_of_grid(&after.grid_code)
        .map(|t| t.code.clone())
        .unwrap_or_default();
    let county = tree.county().map(|c| c.code.clone()).unwrap_or_default();
    let centre = if state.level > 0 { &county } else { &town };
    let mut targets: Vec<(String, &str)> = Vec::new();
    if before.is_none() {
        targets.push((format!("centre:{centre}"), "reported"));
    }
    for (n, t) in after.transitions.iter().enumerate() {
        if let Some(pos) = known.iter().position(|k| *k == t) {
            known.swap_remove(pos);
            continue;
        }
        if state.conflicts.iter().any(|c| c.index == n) {
            continue;
        }
        let Some(action) = Action::parse(&t.to) else {
            continue;
        };
        let unit = |u: &str| format!("unit:{u}");
        let lead = state.assignee.as_deref().map(unit);
        let mut add = |target: String| targets.push((target, action.as_str()));
        match action {
            Action::Dispatch => {
                t.assignee.iter().for_each(|a| add(unit(a)));
                t.parts.iter().for_each(|p| add(unit(&p.unit)));
                t.supervisor.iter().for_each(|s| add(unit(s)));
            }
            Action::Urge => t.urge.iter().for_each(|u| add(unit(&u.unit))),
            Action::PartFinish => lead.into_iter().for_each(add),
            Action::PartReturn => {
                lead.into_iter().for_each(&mut add);
                add(format!("centre:{centre}"));
            }
            Action::PartRedo => t.part.iter().for_each(|p| add(unit(p))),
            Action::Reopen => lead.into_iter().for_each(add),
            Action::Finish => add(format!("verify:{town}")),
            Action::Verify | Action::Return => add(format!("centre:{centre}")),
            Action::Escalate => add(format!("centre:{county}")),
            _ => {}
        }
    }
    targets
        .into_iter()
        .map(|(target, kind)| NewsItem {
            target,
            incident_id: id.to_owned(),
            kind: kind.to_owned(),
            at,
        })
        .collect()
}

/// The targets whose news is `staff`'s: the units they act for, the command
/// centres they work in, the towns they verify in.
pub(crate) fn targets_of(tree: &OrgTree, staff: &str) -> Vec<String> {
    let mut out: Vec<String> = tree
        .work_units_of(staff)
        .map(|u| format!("unit:{}", u.code))
        .collect();
    let roles = tree
        .staff
        .iter()
        .find(|s| s.id == staff)
        .map(|s| s.roles.as_slice())
        .unwrap_or_default();
    for a in roles {
        let town_of = |scope: &Scope| -> Option<String> {
            match scope {
                Scope::Grid(g) => tree.town_of_grid(g).map(|t| t.code.clone()),
                Scope::Unit(u) => {
                    let mut unit = tree.unit(u)?;
                    while unit.level == UnitLevel::Village {
                        unit = tree.unit(unit.parent.as_deref()?)?;
                    }
                    Some(unit.code.clone())
                }
            }
        };
        let target = match a.role {
            Role::TownSupervisor | Role::CountySupervisor | Role::CountyAdministrator => {
                town_of(&a.scope).map(|u| format!("centre:{u}"))
            }
            Role::Inspector | Role::GridChief | Role::VillageLeader | Role::VillageCadre => {
                town_of(&a.scope).map(|u| format!("verify:{u}"))
            }
            _ => None,
        };
        if let Some(t) = target
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

/// "Anything for me?": the newest news number, and how many items after `after`
/// are for the caller. One indexed count; no document is read.
pub async fn check(
    state: &AppState,
    caller: &Caller,
    after: i64,
) -> Result<NewsCheck, ServiceError> {
    let targets = targets_of(&caller.tree, &caller.staff);
    let (latest, count) = state.storage.news_after(&targets, after).await?;
    Ok(NewsCheck { latest, count })
}

/// Drops news older than [`NEWS_DAYS`]; returns how many items went.
pub async fn prune(state: &AppState) -> Result<u64, ServiceError> {
    Ok(state
        .storage
        .prune_news(crate::now() - NEWS_DAYS * 86_400)
        .await?)
}
