//! The signed-in person's task list: the incidents they must act on now, as the
//! command centre, a lead, joint or supervising unit, or a verifier.

use std::collections::{HashMap, HashSet};

use super::FieldStore;
use crate::error::{Error, Result};
use crate::incident::{DayCount, PartDue, PartStatus, Stage, Task, TaskKind};
use crate::org::Role;

/// One of the person's units' shares in an incident.
struct Share {
    unit: String,
    share: String,
    status: String,
    task: String,
    due: Option<i64>,
    urged_at: Option<i64>,
    unit_name: Option<String>,
}

impl FieldStore {
    /// The signed-in person's tasks at `now`: cases their units lead, join or
    /// supervise while they are being handled; cases to verify in their grids (for
    /// verifiers); and, for the command centre, cases to accept, dispatch, close,
    /// call back, or act on after a dissatisfied answer. Each task lists the steps
    /// the person may take there. Urged tasks come first, then by colour and due
    /// time as in the queue.
    pub fn my_tasks(&self, now: i64, count: DayCount) -> Result<Vec<Task>> {
        let me = self.current_user().ok_or(Error::NotSignedIn)?;
        self.tasks_for(&me, now, count)
    }

    /// The tasks of `staff` (as [`FieldStore::my_tasks`]) among the incidents this
    /// store holds: the server's replica answers a supervisor's page with it, and
    /// keeps to the supervisor's area itself.
    pub fn tasks_for(&self, me: &str, now: i64, count: DayCount) -> Result<Vec<Task>> {
        let roles: HashSet<Role> = self.roles_of(me)?.into_iter().map(|a| a.role).collect();
        let grids: HashSet<String> = self.grids_of(me)?.into_iter().map(|g| g.code).collect();
        let shares = self.shares_of(me)?;
        let town_centre = roles.contains(&Role::TownSupervisor);
        let county_centre =
            roles.contains(&Role::CountySupervisor) || roles.contains(&Role::CountyAdministrator);
        let verifier = [
            Role::Inspector,
            Role::GridChief,
            Role::VillageLeader,
            Role::VillageCadre,
        ]
        .iter()
        .any(|r| roles.contains(r));
        let mut tasks = Vec::new();
        for item in self.incident_queue(now, count, true)? {
            let Some(stage) = Stage::parse(&item.stage) else {
                continue;
            };
            let in_hand = matches!(stage, Stage::Dispatched | Stage::Handling);
            for s in shares.get(&item.id).into_iter().flatten() {
                let part_status = (s.share == "joint")
                    .then(|| part_status(&s.status))
                    .flatten();
                let kind = match s.share.as_str() {
                    "lead" if in_hand => TaskKind::Lead,
                    "joint"
                        if in_hand
                            && matches!(
                                part_status,
                                Some(PartStatus::Assigned | PartStatus::Handling)
                            ) =>
                    {
                        TaskKind::Joint
                    }
                    "supervisor" if in_hand => TaskKind::Supervise,
                    _ => continue,
                };
                tasks.push(Task {
                    kind,
                    actions: kind.actions(stage, part_status),
                    unit: Some(s.unit.clone()),
                    unit_name: Some(s.unit_name.clone().unwrap_or_else(|| s.unit.clone())),
                    part_task: (kind == TaskKind::Joint).then(|| s.task.clone()),
                    part_status,
                    part_due: s.due,
                    urged_at: s.urged_at,
                    incident: item.clone(),
                });
            }
            if verifier && stage == Stage::Handled && grids.contains(&item.grid_code) {
                tasks.push(plain(TaskKind::Verify, stage, item.clone()));
            }
            let centre = if item.level > 0 {
                county_centre
            } else {
                town_centre
            };
            let unsatisfied = item.follow_up == Some(crate::records::Satisfaction::Unsatisfied);
            if centre && let Some(kind) = TaskKind::for_centre(stage, unsatisfied) {
                tasks.push(plain(kind, stage, item));
            }
        }
        tasks.sort_by_key(|t| t.urged_at.is_none());
        Ok(tasks)
    }

    /// Joint parts not yet finished whose own deadline has passed or falls before
    /// `until` (unix seconds), soonest first: the urging list's joint units.
    pub fn joint_parts_due(&self, until: i64) -> Result<Vec<PartDue>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, i.grid_code, i.category, s.unit, w.name, s.task, s.due, s.urged_at
             FROM incident_shares s
             JOIN incidents i ON i.doc = s.doc
             JOIN documents d ON d.id = s.doc
             LEFT JOIN work_units w ON w.code = s.unit
             WHERE s.share = 'joint' AND s.status IN ('assigned', 'handling')
               AND i.stage IN ('dispatched', 'handling')
               AND s.due IS NOT NULL AND s.due < ?1
             ORDER BY s.due, d.doc_id",
        )?;
        let rows = stmt.query_map([until], |r| {
            let unit: String = r.get(3)?;
            Ok(PartDue {
                id: r.get(0)?,
                grid_code: r.get(1)?,
                category: r.get(2)?,
                unit_name: r
                    .get::<_, Option<String>>(4)?
                    .unwrap_or_else(|| unit.clone()),
                unit,
                task: r.get(5)?,
                due: r.get(6)?,
                urged_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The shares of the units `staff` acts for, by incident id.
    fn shares_of(&self, staff: &str) -> Result<HashMap<String, Vec<Share>>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, s.unit, s.share, s.status, s.task, s.due, s.urged_at, w.name
             FROM incident_shares s
             JOIN work_unit_members m ON m.unit = s.unit AND m.staff = ?1
             JOIN documents d ON d.id = s.doc
             LEFT JOIN work_units w ON w.code = s.unit",
        )?;
        let rows = stmt.query_map([staff], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Share {
                    unit: r.get(1)?,
                    share: r.get(2)?,
                    status: r.get(3)?,
                    task: r.get(4)?,
                    due: r.get(5)?,
                    urged_at: r.get(6)?,
                    unit_name: r.get(7)?,
                },
            ))
        })?;
        let mut out: HashMap<String, Vec<Share>> = HashMap::new();
        for row in rows {
            let (id, share) = row?;
            out.entry(id).or_default().push(share);
        }
        Ok(out)
    }
}

fn part_status(code: &str) -> Option<PartStatus> {
    [
        PartStatus::Assigned,
        PartStatus::Handling,
        PartStatus::Finished,
        PartStatus::Returned,
        PartStatus::Released,
    ]
    .into_iter()
    .find(|s| s.as_str() == code)
}

/// A task with no unit of the person's own.
fn plain(kind: TaskKind, stage: Stage, incident: crate::incident::QueueItem) -> Task {
    Task {
        kind,
        actions: kind.actions(stage, None),
        unit: None,
        unit_name: None,
        part_task: None,
        part_status: None,
        part_due: None,
        urged_at: None,
        incident,
    }
}
