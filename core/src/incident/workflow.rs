//! The closed loop of an incident: report → accept → dispatch → handle → verify →
//! close → assess, with return, reject, escalate, reopen and the fast path of a
//! problem resolved on the spot.
//!
//! The incident document holds an append-only list of transitions; the state is a
//! replay of that list with rules. Automerge orders concurrent appends the same way
//! on every device, so every device computes the same state. A transition that is
//! not valid where it lands (two dispatchers dispatching the same incident offline;
//! someone without the role) is kept and reported as a conflict, never dropped.

use serde::Serialize;

use crate::records::{Incident, IncidentTransition};

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reported, waiting for the command centre (待受理).
    Reported,
    /// Accepted, waiting for dispatch.
    Accepted,
    /// Dispatched to a platform or department, waiting for it to start.
    Dispatched,
    /// Being handled.
    Handling,
    /// Handled, waiting for verification by someone else.
    Handled,
    /// Verified, waiting to be closed.
    Verified,
    /// Closed (结案).
    Closed,
    /// Closed and assessed (satisfaction follow-up done).
    Assessed,
    /// Not accepted (with a reason).
    Rejected,
}

impl Stage {
    /// The name written in transitions.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reported => "reported",
            Stage::Accepted => "accepted",
            Stage::Dispatched => "dispatched",
            Stage::Handling => "handling",
            Stage::Handled => "handled",
            Stage::Verified => "verified",
            Stage::Closed => "closed",
            Stage::Assessed => "assessed",
            Stage::Rejected => "rejected",
        }
    }

    /// Reads a stage name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Stage::Reported,
            Stage::Accepted,
            Stage::Dispatched,
            Stage::Handling,
            Stage::Handled,
            Stage::Verified,
            Stage::Closed,
            Stage::Assessed,
            Stage::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// Whether the loop is finished.
    pub fn is_done(self) -> bool {
        matches!(self, Stage::Closed | Stage::Assessed | Stage::Rejected)
    }
}

/// What a transition does. Transitions name it in their `to` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Reported → accepted (受理).
    Accept,
    /// Reported → rejected, with a reason.
    Reject,
    /// Accepted → dispatched to an assignee (交办/派单).
    Dispatch,
    /// Dispatched or handling → accepted: the handler sends it back, with a reason.
    Return,
    /// Dispatched → handling, by the assignee.
    StartHandling,
    /// Handling → handled, with what was done.
    Finish,
    /// Handled → verified, by someone other than the handler (核查).
    Verify,
    /// Handled → handling: verification failed, with a reason.
    Reopen,
    /// Verified → closed (结案).
    Close,
    /// Closed → assessed, after the follow-up call.
    Assess,
    /// Reported or accepted → reported at the next level up (上报), with a reason.
    Escalate,
    /// Reported → closed by the reporter: resolved on the spot.
    ResolveOnSpot,
}

impl Action {
    /// Reads the action a transition's `to` field names.
    pub fn parse(to: &str) -> Option<Self> {
        Some(match to {
            "accepted" => Action::Accept,
            "rejected" => Action::Reject,
            "dispatched" => Action::Dispatch,
            "returned" => Action::Return,
            "handling" => Action::StartHandling,
            "handled" => Action::Finish,
            "verified" => Action::Verify,
            "reopened" => Action::Reopen,
            "closed" => Action::Close,
            "assessed" => Action::Assess,
            "escalated" => Action::Escalate,
            "resolved_on_spot" => Action::ResolveOnSpot,
            _ => return None,
        })
    }

    /// The name written in a transition's `to` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accepted",
            Action::Reject => "rejected",
            Action::Dispatch => "dispatched",
            Action::Return => "returned",
            Action::StartHandling => "handling",
            Action::Finish => "handled",
            Action::Verify => "verified",
            Action::Reopen => "reopened",
            Action::Close => "closed",
            Action::Assess => "assessed",
            Action::Escalate => "escalated",
            Action::ResolveOnSpot => "resolved_on_spot",
        }
    }

    /// The stages it may start from, and the stage it leads to.
    fn moves(self) -> (&'static [Stage], Stage) {
        use Stage::*;
        match self {
            Action::Accept => (&[Reported], Accepted),
            Action::Reject => (&[Reported], Rejected),
            Action::Dispatch => (&[Accepted], Dispatched),
            Action::Return => (&[Dispatched, Handling], Accepted),
            Action::StartHandling => (&[Dispatched], Handling),
            Action::Finish => (&[Handling], Handled),
            Action::Verify => (&[Handled], Verified),
            Action::Reopen => (&[Handled], Handling),
            Action::Close => (&[Verified], Closed),
            Action::Assess => (&[Closed], Assessed),
            Action::Escalate => (&[Reported, Accepted], Reported),
            Action::ResolveOnSpot => (&[Reported], Closed),
        }
    }

    /// The roles that may take it.
    fn roles(self) -> &'static [&'static str] {
        const CENTRE: &[&str] = &["town_supervisor", "county_administrator"];
        const HANDLER: &[&str] = &[
            "department_handler",
            "town_supervisor",
            "county_administrator",
        ];
        const VERIFIER: &[&str] = &[
            "inspector",
            "grid_chief",
            "town_supervisor",
            "county_administrator",
        ];
        const REPORTER: &[&str] = &[
            "grid_chief",
            "full_time_grid_worker",
            "part_time_grid_worker",
            "patroller",
            "liaison",
            "inspector",
        ];
        match self {
            Action::Accept
            | Action::Reject
            | Action::Dispatch
            | Action::Close
            | Action::Assess
            | Action::Escalate => CENTRE,
            Action::Return | Action::StartHandling | Action::Finish => HANDLER,
            Action::Verify | Action::Reopen => VERIFIER,
            Action::ResolveOnSpot => REPORTER,
        }
    }

    fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Reject
                | Action::Return
                | Action::Reopen
                | Action::Escalate
                | Action::Finish
                | Action::ResolveOnSpot
        )
    }
}

/// A transition that does not apply where it lands: kept, shown to supervisors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Its place in the transition list.
    pub index: usize,
    /// Who made it.
    pub by: String,
    /// What it tried.
    pub action: String,
    /// Why it does not apply, for a person to read.
    pub reason: String,
}

/// The replayed state of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowState {
    /// Where it stands.
    pub stage: Stage,
    /// 0 at the level it was reported (town), +1 per escalation.
    pub level: u32,
    /// Who it is dispatched to (platform or department), if it is.
    pub assignee: Option<String>,
    /// Who marked it handled last (may not verify it).
    pub handler: Option<String>,
    /// When the current stage began (unix seconds).
    pub stage_since: i64,
    /// When it was reported.
    pub reported_at: i64,
    /// When it was first accepted (or resolved on the spot).
    pub accepted_at: Option<i64>,
    /// When it was dispatched (for the resolve deadline).
    pub dispatched_at: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<i64>,
    /// Transitions that did not apply.
    pub conflicts: Vec<Conflict>,
}

/// Replays an incident's transitions into its state.
pub fn replay(incident: &Incident) -> WorkflowState {
    let mut s = WorkflowState {
        stage: Stage::Reported,
        level: 0,
        assignee: None,
        handler: None,
        stage_since: incident.reported_at,
        reported_at: incident.reported_at,
        accepted_at: None,
        dispatched_at: None,
        closed_at: None,
        conflicts: Vec::new(),
    };
    for (index, t) in incident.transitions.iter().enumerate() {
        match check(&s, t) {
            Ok((action, next)) => apply(&mut s, t, action, next),
            Err(reason) => s.conflicts.push(Conflict {
                index,
                by: t.by.clone(),
                action: t.to.clone(),
                reason,
            }),
        }
    }
    s
}

fn check(s: &WorkflowState, t: &IncidentTransition) -> Result<(Action, Stage), String> {
    let action = Action::parse(&t.to).ok_or_else(|| format!("\"{}\" is not a known step", t.to))?;
    let (from, next) = action.moves();
    if !from.contains(&s.stage) {
        return Err(format!(
            "{} cannot follow \"{}\" (the incident was already {} when this arrived)",
            action.as_str(),
            t.from,
            s.stage.as_str()
        ));
    }
    if t.from != s.stage.as_str() {
        return Err(format!(
            "made when the incident looked {} to its author, but it was {}",
            t.from,
            s.stage.as_str()
        ));
    }
    if !action.roles().contains(&t.role.as_str()) {
        return Err(format!("a {} may not do \"{}\"", t.role, action.as_str()));
    }
    if action.needs_reason() && t.note.trim().is_empty() {
        return Err(format!("\"{}\" needs a reason", action.as_str()));
    }
    if action == Action::Dispatch && t.assignee.as_deref().is_none_or(|a| a.trim().is_empty()) {
        return Err("a dispatch needs an assignee".into());
    }
    if action == Action::Verify && s.handler.as_deref() == Some(t.by.as_str()) {
        return Err("the handler may not verify their own work".into());
    }
    if action == Action::Escalate && s.level >= 2 {
        return Err("there is no level above the county".into());
    }
    Ok((action, next))
}

fn apply(s: &mut WorkflowState, t: &IncidentTransition, action: Action, next: Stage) {
    match action {
        Action::Dispatch => {
            s.assignee = t.assignee.clone();
            s.dispatched_at = Some(t.at);
        }
        Action::Return => s.assignee = None,
        Action::Finish => s.handler = Some(t.by.clone()),
        Action::Escalate => {
            s.level += 1;
            s.assignee = None;
        }
        Action::Accept => {
            s.accepted_at.get_or_insert(t.at);
        }
        Action::ResolveOnSpot => {
            s.accepted_at.get_or_insert(t.at);
            s.closed_at = Some(t.at);
        }
        Action::Close => s.closed_at = Some(t.at),
        _ => {}
    }
    s.stage = next;
    s.stage_since = t.at;
}
