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

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Stage::Reported => "待受理",
            Stage::Accepted => "已受理",
            Stage::Dispatched => "已派遣",
            Stage::Handling => "处置中",
            Stage::Handled => "已处置",
            Stage::Verified => "已核查",
            Stage::Closed => "已结案",
            Stage::Assessed => "已评价",
            Stage::Rejected => "不予受理",
        }
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

    /// The Chinese name of the step people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Reject => "不予受理",
            Action::Dispatch => "派遣",
            Action::Return => "退回",
            Action::StartHandling => "开始处置",
            Action::Finish => "处置完毕",
            Action::Verify => "核查通过",
            Action::Reopen => "核查不通过",
            Action::Close => "结案",
            Action::Assess => "评价",
            Action::Escalate => "上报上级",
            Action::ResolveOnSpot => "现场解决",
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

    /// The roles that may take it on an incident at `level` (0: the town's
    /// command centre holds it; 1: escalated to the county's, after which the
    /// town's roles no longer act on it).
    pub fn roles(self, level: u32) -> &'static [&'static str] {
        const CENTRE: [&[&str]; 2] = [
            &[
                "town_supervisor",
                "county_supervisor",
                "county_administrator",
            ],
            &["county_supervisor", "county_administrator"],
        ];
        const HANDLER: [&[&str]; 2] = [
            &[
                "department_handler",
                "town_supervisor",
                "county_supervisor",
                "county_administrator",
            ],
            &[
                "department_handler",
                "county_supervisor",
                "county_administrator",
            ],
        ];
        const VERIFIER: [&[&str]; 2] = [
            &[
                "inspector",
                "grid_chief",
                "village_leader",
                "village_cadre",
                "town_supervisor",
                "county_supervisor",
                "county_administrator",
            ],
            &[
                "inspector",
                "grid_chief",
                "village_leader",
                "village_cadre",
                "county_supervisor",
                "county_administrator",
            ],
        ];
        const REPORTER: &[&str] = &[
            "grid_chief",
            "full_time_grid_worker",
            "part_time_grid_worker",
            "patroller",
            "liaison",
            "inspector",
            "village_leader",
            "village_cadre",
        ];
        let at = usize::from(level > 0);
        match self {
            Action::Accept
            | Action::Reject
            | Action::Dispatch
            | Action::Close
            | Action::Assess
            | Action::Escalate => CENTRE[at],
            Action::Return | Action::StartHandling | Action::Finish => HANDLER[at],
            Action::Verify | Action::Reopen => VERIFIER[at],
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
    /// 0 while the town's command centre holds it; 1 once escalated to the
    /// county's (the top level).
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

fn role_name(code: &str) -> &str {
    crate::org::Role::parse(code).map_or(code, |r| r.name_zh())
}

fn stage_name(code: &str) -> &str {
    match Stage::parse(code) {
        Some(stage) => stage.name_zh(),
        None => code,
    }
}

fn check(s: &WorkflowState, t: &IncidentTransition) -> Result<(Action, Stage), String> {
    let action = Action::parse(&t.to).ok_or_else(|| format!("“{}”不是已知的环节", t.to))?;
    let (from, next) = action.moves();
    if !from.contains(&s.stage) {
        return Err(format!(
            "“{}”不能接在“{}”之后（此步到达时事件已是“{}”）",
            action.name_zh(),
            stage_name(&t.from),
            s.stage.name_zh()
        ));
    }
    if t.from != s.stage.as_str() {
        return Err(format!(
            "提交人看到的是“{}”，但事件当时已是“{}”",
            stage_name(&t.from),
            s.stage.name_zh()
        ));
    }
    if !action.roles(s.level).contains(&t.role.as_str()) {
        if s.level > 0 && action.roles(0).contains(&t.role.as_str()) {
            return Err(format!(
                "事件已上报县指挥中心，{}不能再“{}”",
                role_name(&t.role),
                action.name_zh()
            ));
        }
        return Err(format!("{}不能“{}”", role_name(&t.role), action.name_zh()));
    }
    if action.needs_reason() && t.note.trim().is_empty() {
        return Err(format!("“{}”需要填写理由", action.name_zh()));
    }
    if action == Action::Dispatch && t.assignee.as_deref().is_none_or(|a| a.trim().is_empty()) {
        return Err("派遣需要指定承办单位".into());
    }
    if action == Action::Verify && s.handler.as_deref() == Some(t.by.as_str()) {
        return Err("处置人不能核查自己的处置".into());
    }
    if action == Action::Escalate && s.level >= 1 {
        return Err("县级之上没有可上报的层级".into());
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
