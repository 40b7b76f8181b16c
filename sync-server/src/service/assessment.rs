//! Assessment (考核) through the caller's area: the rules in force, scorecards of
//! grid workers, grids, villages, towns and handling units over a period, each
//! item traceable to its records, and the points ledger with its attributed
//! adjustments. Only records in the caller's area are measured, and only subjects
//! wholly inside it are scored; anything else is answered as not found.

use std::collections::{BTreeMap, BTreeSet};

use fieldgrid_core::ReferenceKind;
use fieldgrid_core::assessment::{
    Activity, AssessmentRules, Period, PointAdjustment, PointsLedger, Scorecard, Subject, Who,
    default_rules, measure, points_ledger, score,
};
use fieldgrid_core::incident::Catalogue;
use fieldgrid_core::org::{OrgTree, Role, Scope, UnitLevel};

use super::{Caller, ServiceError, blocking, replica, tracks};
use crate::AppState;

/// The roles whose holders are assessed as grid workers.
pub const WORKER_ROLES: [Role; 4] = [
    Role::GridChief,
    Role::FullTimeGridWorker,
    Role::PartTimeGridWorker,
    Role::Volunteer,
];

/// The largest adjustment of points one entry may make, either way.
pub const MAX_ADJUSTMENT: f64 = 1_000.0;

/// The rules in force: the county's published version, else the shipped example.
pub async fn rules(state: &AppState) -> Result<AssessmentRules, ServiceError> {
    match state
        .storage
        .reference(ReferenceKind::AssessmentRules.as_str())
        .await?
    {
        Some((_, body)) => serde_json::from_str(&body)
            .map_err(|e| ServiceError::Corrupt(format!("the published assessment rules: {e}"))),
        None => Ok(default_rules()),
    }
}

/// A subject the caller may see scored: its code, name and grids.
#[derive(Debug, Clone)]
pub struct SubjectRef {
    /// Staff id, grid code, unit code or work-unit code.
    pub id: String,
    /// Its Chinese name.
    pub name: String,
    /// For a worker, the grids they work in; for an area, its grids.
    pub grids: BTreeSet<String>,
}

/// The subjects of one kind wholly inside the caller's area, by name.
pub fn subjects(caller: &Caller, subject: Subject) -> Vec<SubjectRef> {
    let tree = &caller.tree;
    let area_of = |unit: &str| -> BTreeSet<String> {
        tree.grids
            .iter()
            .filter(|g| unit_within(tree, &g.unit, unit))
            .map(|g| g.code.clone())
            .collect()
    };
    let whole =
        |grids: &BTreeSet<String>| !grids.is_empty() && grids.iter().all(|g| caller.sees(g));
    let mut out: Vec<SubjectRef> = match subject {
        Subject::Worker => tree
            .staff
            .iter()
            .filter_map(|s| {
                let grids: BTreeSet<String> = s
                    .roles
                    .iter()
                    .filter(|r| WORKER_ROLES.contains(&r.role))
                    .filter_map(|r| match &r.scope {
                        Scope::Grid(g) => Some(g.clone()),
                        Scope::Unit(_) => None,
                    })
                    .collect();
                whole(&grids).then(|| SubjectRef {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    grids,
                })
            })
            .collect(),
        Subject::Grid => tree
            .grids
            .iter()
            .filter(|g| caller.sees(&g.code))
            .map(|g| SubjectRef {
                id: g.code.clone(),
                name: g.name.clone(),
                grids: [g.code.clone()].into(),
            })
            .collect(),
        Subject::Village | Subject::Town => {
            let level = if subject == Subject::Village {
                UnitLevel::Village
            } else {
                UnitLevel::Town
            };
            tree.units
                .iter()
                .filter(|u| u.level == level)
                .filter_map(|u| {
                    let grids = area_of(&u.code);
                    whole(&grids).then(|| SubjectRef {
                        id: u.code.clone(),
                        name: u.name.clone(),
                        grids,
                    })
                })
                .collect()
        }
        Subject::Unit => tree
            .work_units
            .iter()
            .filter_map(|w| {
                let grids = area_of(&w.within);
                whole(&grids).then(|| SubjectRef {
                    id: w.code.clone(),
                    name: w.name.clone(),
                    grids,
                })
            })
            .collect(),
    };
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    out
}

/// Whether org unit `unit` is `ancestor` or lies below it.
fn unit_within(tree: &OrgTree, unit: &str, ancestor: &str) -> bool {
    let mut at = Some(unit);
    for _ in 0..8 {
        let Some(code) = at else { return false };
        if code == ancestor {
            return true;
        }
        at = tree
            .units
            .iter()
            .find(|u| u.code == code)
            .and_then(|u| u.parent.as_deref());
    }
    false
}

/// The records of a period in the caller's area: incidents and visits from the
/// read model's query rows, record edits as storage noted them when the changes
/// arrived, patrols from their kept briefs (a track reviewed only when chunks
/// arrived since its brief was kept).
pub async fn activity(
    state: &AppState,
    caller: &Caller,
    period: Period,
) -> Result<Activity, ServiceError> {
    let (from, to) = period.bounds();
    let store = replica::store(state).await?;
    let c = caller.clone();
    let mut activity = blocking(move || store.activity_between(|g| c.sees(g), (from, to))).await?;
    activity.edits = state
        .storage
        .record_edits(from, to)
        .await?
        .into_iter()
        .filter(|e| caller.sees(&e.grid))
        .collect();
    activity.patrols = tracks::patrol_briefs(state, caller, from, to).await?;
    Ok(activity)
}

/// Everything scored over one period in the caller's area.
pub struct Assessment {
    /// The rules applied.
    pub rules: AssessmentRules,
    /// The deadlines' catalogue.
    pub catalogue: std::sync::Arc<Catalogue>,
    /// The period.
    pub period: Period,
    /// The records measured.
    pub activity: Activity,
    /// Every worker's card, by staff id (the areas' mean worker score uses them).
    pub workers: BTreeMap<String, (SubjectRef, Scorecard)>,
}

/// Measures and scores the period's records in the caller's area.
pub async fn assess(
    state: &AppState,
    caller: &Caller,
    period: Period,
) -> Result<Assessment, ServiceError> {
    let rules = rules(state).await?;
    let activity = activity(state, caller, period).await?;
    let catalogue = state.catalogue().await?;
    let now = crate::now();
    let mut workers = BTreeMap::new();
    for s in subjects(caller, Subject::Worker) {
        let m = measure(
            Who::Worker(&s.id),
            &activity,
            &catalogue,
            period.bounds(),
            now,
        );
        let card = score(&rules, Subject::Worker, (&s.id, &s.name), period, &m);
        workers.insert(s.id.clone(), (s, card));
    }
    Ok(Assessment {
        rules,
        catalogue,
        period,
        activity,
        workers,
    })
}

impl Assessment {
    /// The cards of every subject of one kind in the caller's area.
    pub fn cards(&self, caller: &Caller, subject: Subject) -> Vec<Scorecard> {
        if subject == Subject::Worker {
            let mut cards: Vec<Scorecard> = self.workers.values().map(|(_, c)| c.clone()).collect();
            cards.sort_by(|a, b| a.name.cmp(&b.name));
            return cards;
        }
        let now = crate::now();
        subjects(caller, subject)
            .into_iter()
            .map(|s| {
                let workers: Vec<(String, f64)> = self
                    .workers
                    .values()
                    .filter(|(w, _)| w.grids.iter().any(|g| s.grids.contains(g)))
                    .map(|(w, c)| (w.id.clone(), c.total))
                    .collect();
                let who = match subject {
                    Subject::Unit => Who::Unit(&s.id),
                    _ => Who::Area {
                        grids: &s.grids,
                        workers: &workers,
                    },
                };
                let m = measure(
                    who,
                    &self.activity,
                    &self.catalogue,
                    self.period.bounds(),
                    now,
                );
                score(&self.rules, subject, (&s.id, &s.name), self.period, &m)
            })
            .collect()
    }

    /// One subject's card; not found when it is not wholly in the caller's area.
    pub fn card(
        &self,
        caller: &Caller,
        subject: Subject,
        id: &str,
    ) -> Result<Scorecard, ServiceError> {
        self.cards(caller, subject)
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(ServiceError::NotFound)
    }

    /// A worker's points over the period, with the adjustments made in it.
    pub async fn ledger(
        &self,
        state: &AppState,
        staff: &str,
    ) -> Result<PointsLedger, ServiceError> {
        let Some((_, _)) = self.workers.get(staff) else {
            return Err(ServiceError::NotFound);
        };
        let m = measure(
            Who::Worker(staff),
            &self.activity,
            &self.catalogue,
            self.period.bounds(),
            crate::now(),
        );
        let (from, to) = self.period.bounds();
        let adjustments = state.storage.point_adjustments(staff, from, to).await?;
        Ok(points_ledger(
            &self.rules,
            staff,
            self.period,
            &m,
            adjustments,
        ))
    }
}

/// Adjusts a grid worker's points: only someone holding a command centre's role
/// over every grid the worker works in, with a reason; the adjustment is stored
/// with who made it and never edited.
pub async fn adjust_points(
    state: &AppState,
    caller: &Caller,
    staff: &str,
    points: f64,
    reason: &str,
) -> Result<PointAdjustment, ServiceError> {
    let worker = subjects(caller, Subject::Worker)
        .into_iter()
        .find(|s| s.id == staff)
        .ok_or(ServiceError::NotFound)?;
    let centre = worker.grids.iter().all(|g| {
        caller.roles_over(g).iter().any(|r| {
            matches!(
                r,
                Role::TownSupervisor | Role::CountySupervisor | Role::CountyAdministrator
            )
        })
    });
    if !centre {
        return Err(ServiceError::Refused("只有指挥中心人员可以调整积分".into()));
    }
    if !points.is_finite() || points == 0.0 || points.abs() > MAX_ADJUSTMENT {
        return Err(ServiceError::Refused(format!(
            "调整分值须为非零数，且绝对值不超过 {MAX_ADJUSTMENT}"
        )));
    }
    let reason = reason.trim().to_owned();
    if reason.chars().count() < 2
        || reason.chars().count() > 200
        || reason.chars().any(char::is_control)
    {
        return Err(ServiceError::Refused("请填写调整理由（2–200 字）".into()));
    }
    let adjustment = PointAdjustment {
        staff: staff.to_owned(),
        at: crate::now(),
        points: (points * 100.0).round() / 100.0,
        reason,
        by: caller.staff.clone(),
    };
    state.storage.add_point_adjustment(&adjustment).await?;
    tracing::info!(staff, by = %caller.staff, points = adjustment.points, "points adjusted");
    Ok(adjustment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldgrid_core::org::demo::{TOWN_SUPERVISOR, demo_county};

    fn caller(staff: &str) -> Caller {
        let tree = demo_county();
        Caller {
            staff: staff.into(),
            device: "00".into(),
            scope: tree.scope_of(staff),
            tree: std::sync::Arc::new(tree),
        }
    }

    #[test]
    fn subjects_are_those_wholly_inside_the_callers_area() {
        let town = caller(TOWN_SUPERVISOR);
        let villages = subjects(&town, Subject::Village);
        assert_eq!(villages.len(), 8);
        assert!(villages.iter().any(|v| v.name == "安峰村"));
        let anfeng = villages.iter().find(|v| v.name == "安峰村").unwrap();
        assert!(
            anfeng.grids.contains("320722104201101"),
            "second-level grids count"
        );
        let workers = subjects(&town, Subject::Worker);
        assert!(
            workers
                .iter()
                .any(|w| w.id == "worker-320722104201001" && w.name == "张秀英")
        );
        // Patrollers and inspectors are not assessed as grid workers.
        assert!(!workers.iter().any(|w| w.id.starts_with("inspector-")));
        let units = subjects(&town, Subject::Unit);
        assert!(units.iter().any(|u| u.name == "综合执法平台"));

        // A grid worker's area is their grid and the second-level grids within
        // it: no village lies wholly inside it.
        let worker = caller("worker-320722104201001");
        assert!(subjects(&worker, Subject::Village).is_empty());
        assert!(subjects(&worker, Subject::Unit).is_empty());
        let grids = subjects(&worker, Subject::Grid);
        let mut ids: Vec<&str> = grids.iter().map(|g| g.id.as_str()).collect();
        ids.sort();
        assert_eq!(
            ids,
            ["320722104201001", "320722104201101", "320722104201102"]
        );
        // Someone unknown to the tree sees nothing to score.
        let nobody = caller("nobody");
        for subject in [
            Subject::Worker,
            Subject::Grid,
            Subject::Village,
            Subject::Unit,
        ] {
            assert!(subjects(&nobody, subject).is_empty(), "{subject:?}");
        }
    }
}
