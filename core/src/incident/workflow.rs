//! The closed loop of an incident: report → accept → dispatch → handle → verify →
//! close → follow-up call, with return, reject, escalate, reopen and the fast path of
//! a problem resolved on the spot.
//!
//! A dispatch names one lead unit (领办), any number of joint units each with its
//! own part (联办), and optionally a supervising unit (督办). Joint parts move on
//! their own (start, finish, return, sent back to redo, released); the lead may
//! finish only when every part is finished or released. Urge steps (催办) and
//! follow-up calls (回访) are kept as histories; a dissatisfied answer lets the
//! command centre reopen the case for handling again.
//!
//! The incident document holds an append-only list of transitions; the state is a
//! replay of that list with rules. Automerge orders concurrent appends the same way
//! on every device, so every device computes the same state. A transition that is
//! not valid where it lands (two dispatchers dispatching the same incident offline;
//! someone without the role) is kept and reported as a conflict, never dropped.

use serde::Serialize;

use crate::records::{Incident, IncidentTransition, JointPart, Satisfaction, UrgeMethod};

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
    /// Closed and followed up (回访: the resident answered).
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
            Stage::Assessed => "已回访",
            Stage::Rejected => "不予受理",
        }
    }

    /// Whether the loop is finished.
    pub fn is_done(self) -> bool {
        matches!(self, Stage::Closed | Stage::Assessed | Stage::Rejected)
    }
}

/// What a transition does. Transitions name it in their `to` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Reported → accepted (受理).
    Accept,
    /// Reported → rejected, with a reason.
    Reject,
    /// Accepted → dispatched to a lead unit, with joint units and a supervising
    /// unit if any (交办/派单).
    Dispatch,
    /// Dispatched or handling → accepted: the lead sends it back, with a reason.
    Return,
    /// Dispatched → handling, by the lead.
    StartHandling,
    /// Handling → handled, with what was done; every joint part finished or released.
    Finish,
    /// Handled → verified, by someone other than the handler (核查).
    Verify,
    /// Handled → handling: verification failed, with a reason.
    Reopen,
    /// Verified → closed (结案).
    Close,
    /// The follow-up call (回访): closed → followed up with the resident's answer;
    /// an unreachable resident leaves it closed for another call.
    Assess,
    /// Reported or accepted → reported at the next level up (上报), with a reason.
    Escalate,
    /// Reported → closed by the reporter: resolved on the spot.
    ResolveOnSpot,
    /// A joint unit starts its part.
    PartStart,
    /// A joint unit finishes its part, with what it did.
    PartFinish,
    /// A joint unit sends its part back (not its duty), with a reason.
    PartReturn,
    /// The lead or the command centre sends a finished part back to be redone
    /// (退回重办), with a reason.
    PartRedo,
    /// The lead or the command centre releases a part that will not be done, with
    /// a reason.
    PartRelease,
    /// Urging a unit (催办): who, how, why and the promised date; no stage change.
    Urge,
    /// Followed up dissatisfied → accepted: the command centre reopens the case
    /// to be dispatched again (重新办理), with a reason.
    Reprocess,
}

impl Action {
    /// Every action, in the order of the loop.
    pub const ALL: [Action; 19] = [
        Action::Accept,
        Action::Reject,
        Action::Escalate,
        Action::Dispatch,
        Action::StartHandling,
        Action::Return,
        Action::PartStart,
        Action::PartFinish,
        Action::PartReturn,
        Action::PartRedo,
        Action::PartRelease,
        Action::Urge,
        Action::Finish,
        Action::Verify,
        Action::Reopen,
        Action::Close,
        Action::Assess,
        Action::Reprocess,
        Action::ResolveOnSpot,
    ];

    /// Reads the action a transition's `to` field names.
    pub fn parse(to: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|a| a.as_str() == to)
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
            Action::PartStart => "part_handling",
            Action::PartFinish => "part_handled",
            Action::PartReturn => "part_returned",
            Action::PartRedo => "part_redo",
            Action::PartRelease => "part_released",
            Action::Urge => "urged",
            Action::Reprocess => "reprocessed",
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
            Action::Assess => "回访",
            Action::Escalate => "上报上级",
            Action::ResolveOnSpot => "现场解决",
            Action::PartStart => "联办开始",
            Action::PartFinish => "联办完成",
            Action::PartReturn => "联办退回",
            Action::PartRedo => "联办退回重办",
            Action::PartRelease => "联办免办",
            Action::Urge => "催办",
            Action::Reprocess => "重新办理",
        }
    }

    /// Whether it concerns one joint unit's part (named in the step's `part`).
    pub fn is_part_step(self) -> bool {
        matches!(
            self,
            Action::PartStart
                | Action::PartFinish
                | Action::PartReturn
                | Action::PartRedo
                | Action::PartRelease
        )
    }

    /// The stages it may start from, and the stage it leads to (`None`: the
    /// stage stays).
    fn moves(self) -> (&'static [Stage], Option<Stage>) {
        use Stage::*;
        match self {
            Action::Accept => (&[Reported], Some(Accepted)),
            Action::Reject => (&[Reported], Some(Rejected)),
            Action::Dispatch => (&[Accepted], Some(Dispatched)),
            Action::Return => (&[Dispatched, Handling], Some(Accepted)),
            Action::StartHandling => (&[Dispatched], Some(Handling)),
            Action::Finish => (&[Handling], Some(Handled)),
            Action::Verify => (&[Handled], Some(Verified)),
            Action::Reopen => (&[Handled], Some(Handling)),
            Action::Close => (&[Verified], Some(Closed)),
            Action::Assess => (&[Closed], Some(Assessed)),
            Action::Escalate => (&[Reported, Accepted], Some(Reported)),
            Action::ResolveOnSpot => (&[Reported], Some(Closed)),
            Action::PartStart
            | Action::PartFinish
            | Action::PartReturn
            | Action::PartRedo
            | Action::PartRelease
            | Action::Urge => (&[Dispatched, Handling], None),
            Action::Reprocess => (&[Assessed], Some(Accepted)),
        }
    }

    /// The roles that may take it on an incident at `level` (0: the town's
    /// command centre holds it; 1: escalated to the county's, after which the
    /// town's roles no longer act on it). Which unit a handler acts for is the
    /// server's check (it knows the units' members).
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
            | Action::Escalate
            | Action::Reprocess => CENTRE[at],
            Action::Return
            | Action::StartHandling
            | Action::Finish
            | Action::PartStart
            | Action::PartFinish
            | Action::PartReturn
            | Action::PartRedo
            | Action::PartRelease
            | Action::Urge => HANDLER[at],
            Action::Verify | Action::Reopen => VERIFIER[at],
            Action::ResolveOnSpot => REPORTER,
        }
    }

    /// Whether the step must say why.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Reject
                | Action::Return
                | Action::Reopen
                | Action::Escalate
                | Action::Finish
                | Action::ResolveOnSpot
                | Action::PartFinish
                | Action::PartReturn
                | Action::PartRedo
                | Action::PartRelease
                | Action::Urge
                | Action::Reprocess
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

/// Where a joint unit's part stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// Handed to the joint unit, not started (待办理).
    Assigned,
    /// Being done (办理中).
    Handling,
    /// Done (已完成).
    Finished,
    /// Sent back by the joint unit (已退回); blocks the lead until released.
    Returned,
    /// Released by the lead or the command centre (已免办).
    Released,
}

impl PartStatus {
    /// The code (API and exports).
    pub fn as_str(self) -> &'static str {
        match self {
            PartStatus::Assigned => "assigned",
            PartStatus::Handling => "handling",
            PartStatus::Finished => "finished",
            PartStatus::Returned => "returned",
            PartStatus::Released => "released",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            PartStatus::Assigned => "待办理",
            PartStatus::Handling => "办理中",
            PartStatus::Finished => "已完成",
            PartStatus::Returned => "已退回",
            PartStatus::Released => "已免办",
        }
    }

    /// Whether the part no longer holds the lead back.
    pub fn is_settled(self) -> bool {
        matches!(self, PartStatus::Finished | PartStatus::Released)
    }
}

/// A joint unit's part as the replay leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartState {
    /// The joint unit's code.
    pub unit: String,
    /// What it must do.
    pub task: String,
    /// Its own deadline, if set.
    pub due: Option<i64>,
    /// Where it stands.
    pub status: PartStatus,
    /// The note of its last step (what was done, or why it was sent back).
    pub note: String,
    /// When its status last changed.
    pub since: i64,
    /// When it was finished, if it is.
    pub finished_at: Option<i64>,
}

/// One urge (催办) in an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrgeRecord {
    /// Who urged (user id).
    pub by: String,
    /// The role they urged in.
    pub role: String,
    /// When.
    pub at: i64,
    /// The unit urged.
    pub unit: String,
    /// How.
    pub method: UrgeMethod,
    /// Why.
    pub note: String,
    /// The date the unit promised, if any.
    pub promised: Option<i64>,
}

/// One follow-up call (回访) in an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpRecord {
    /// Who called (user id).
    pub by: String,
    /// When.
    pub at: i64,
    /// The resident's answer.
    pub answer: Satisfaction,
    /// What the resident said.
    pub note: String,
}

/// The replayed state of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowState {
    /// Where it stands.
    pub stage: Stage,
    /// 0 while the town's command centre holds it; 1 once escalated to the
    /// county's (the top level).
    pub level: u32,
    /// The lead unit it is dispatched to (领办), if it is.
    pub assignee: Option<String>,
    /// The supervising unit (督办), if the dispatch named one.
    pub supervisor: Option<String>,
    /// The joint units' parts (联办), in the dispatch's order.
    pub parts: Vec<PartState>,
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
    /// When it was closed (cleared when it is reopened after a follow-up).
    pub closed_at: Option<i64>,
    /// Every urge, oldest first.
    pub urges: Vec<UrgeRecord>,
    /// Every follow-up call, oldest first.
    pub follow_ups: Vec<FollowUpRecord>,
    /// The resident's latest answer (not counting unreachable calls).
    pub satisfaction: Option<Satisfaction>,
    /// Transitions that did not apply.
    pub conflicts: Vec<Conflict>,
}

impl WorkflowState {
    /// The state of an incident reported at `reported_at` with no steps yet.
    pub fn new(reported_at: i64) -> Self {
        WorkflowState {
            stage: Stage::Reported,
            level: 0,
            assignee: None,
            supervisor: None,
            parts: Vec::new(),
            handler: None,
            stage_since: reported_at,
            reported_at,
            accepted_at: None,
            dispatched_at: None,
            closed_at: None,
            urges: Vec::new(),
            follow_ups: Vec::new(),
            satisfaction: None,
            conflicts: Vec::new(),
        }
    }

    /// The part of joint unit `unit`, if it has one.
    pub fn part(&self, unit: &str) -> Option<&PartState> {
        self.parts.iter().find(|p| p.unit == unit)
    }

    /// The latest urge of `unit` that no step of the unit has answered since
    /// (an urge is answered by any later step on the unit's share: the lead's
    /// for the lead, the part's for a joint unit).
    pub fn open_urge(&self, unit: &str) -> Option<&UrgeRecord> {
        let urge = self.urges.iter().rev().find(|u| u.unit == unit)?;
        let answered = if self.assignee.as_deref() == Some(unit) {
            self.stage_since > urge.at || self.stage.is_done()
        } else {
            self.part(unit)
                .is_some_and(|p| p.since > urge.at || p.status.is_settled())
        };
        (!answered).then_some(urge)
    }
}

/// Replays an incident's transitions into its state.
pub fn replay(incident: &Incident) -> WorkflowState {
    let mut s = WorkflowState::new(incident.reported_at);
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
    // A joint part's step and an urge run beside the lead's stage: what they
    // depend on is the part (or the unit), not the stage the submitter saw.
    if next.is_some() && t.from != s.stage.as_str() {
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
    match action {
        Action::Dispatch => check_dispatch(t)?,
        Action::Verify if s.handler.as_deref() == Some(t.by.as_str()) => {
            return Err("处置人不能核查自己的处置".into());
        }
        Action::Escalate if s.level >= 1 => return Err("县级之上没有可上报的层级".into()),
        Action::Finish => {
            let open = s.parts.iter().filter(|p| !p.status.is_settled()).count();
            if open > 0 {
                return Err(format!(
                    "尚有 {open} 项联办任务未完成或未免办，主办单位不能办结"
                ));
            }
        }
        Action::Assess if t.answer.is_none() => return Err("回访需要记录群众的评价".into()),
        Action::Reprocess if s.satisfaction != Some(Satisfaction::Unsatisfied) => {
            return Err("只有回访不满意的事件才能重新办理".into());
        }
        Action::Urge => {
            let urge = t.urge.as_ref().ok_or("催办需要指定被催办单位")?;
            let urged_lead = s.assignee.as_deref() == Some(urge.unit.as_str());
            let urged_part = s.part(&urge.unit).is_some_and(|p| !p.status.is_settled());
            if !urged_lead && !urged_part {
                return Err("被催办单位不是此事件尚未办完的主办或联办单位".into());
            }
        }
        a if a.is_part_step() => check_part(s, t, a)?,
        _ => {}
    }
    let next = match (action, next) {
        (Action::Assess, _) if t.answer.is_some_and(|a| !a.answered()) => s.stage,
        (_, Some(next)) => next,
        (_, None) => s.stage,
    };
    Ok((action, next))
}

/// A dispatch names a lead, joint units other than it (each once), and a
/// supervising unit that neither leads nor joins.
fn check_dispatch(t: &IncidentTransition) -> Result<(), String> {
    let lead = t
        .assignee
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .ok_or("派遣需要指定承办单位")?;
    let mut seen = vec![lead];
    for p in &t.parts {
        if p.unit.trim().is_empty() {
            return Err("联办单位不能为空".into());
        }
        if seen.contains(&p.unit.as_str()) {
            return Err("同一单位不能在主办、联办中重复出现".into());
        }
        seen.push(&p.unit);
    }
    if let Some(sup) = &t.supervisor
        && seen.contains(&sup.as_str())
    {
        return Err("督办单位不能同时主办或联办".into());
    }
    Ok(())
}

/// A joint part's step names a part of this dispatch in a status it can leave.
fn check_part(s: &WorkflowState, t: &IncidentTransition, action: Action) -> Result<(), String> {
    let unit = t
        .part
        .as_deref()
        .ok_or("联办环节需要指明是哪个单位的任务")?;
    let part = s.part(unit).ok_or("此单位没有本事件的联办任务")?;
    use PartStatus::*;
    let allowed: &[PartStatus] = match action {
        Action::PartStart => &[Assigned],
        Action::PartFinish => &[Assigned, Handling],
        Action::PartReturn => &[Assigned, Handling],
        Action::PartRedo => &[Finished],
        Action::PartRelease => &[Assigned, Handling, Returned],
        _ => &[],
    };
    if allowed.contains(&part.status) {
        Ok(())
    } else {
        Err(format!(
            "“{}”不能用于“{}”的联办任务",
            action.name_zh(),
            part.status.name_zh()
        ))
    }
}

fn part_from(p: &JointPart, at: i64) -> PartState {
    PartState {
        unit: p.unit.clone(),
        task: p.task.clone(),
        due: p.due,
        status: PartStatus::Assigned,
        note: String::new(),
        since: at,
        finished_at: None,
    }
}

fn apply(s: &mut WorkflowState, t: &IncidentTransition, action: Action, next: Stage) {
    match action {
        Action::Dispatch => {
            s.assignee = t.assignee.clone();
            s.supervisor = t.supervisor.clone();
            s.parts = t.parts.iter().map(|p| part_from(p, t.at)).collect();
            s.dispatched_at = Some(t.at);
        }
        Action::Return => {
            s.assignee = None;
            s.supervisor = None;
            s.parts.clear();
        }
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
        Action::Assess => {
            let answer = t.answer.unwrap_or(Satisfaction::Unreachable);
            s.follow_ups.push(FollowUpRecord {
                by: t.by.clone(),
                at: t.at,
                answer,
                note: t.note.clone(),
            });
            if answer.answered() {
                s.satisfaction = Some(answer);
            }
        }
        Action::Reprocess => {
            s.assignee = None;
            s.supervisor = None;
            s.parts.clear();
            s.handler = None;
            s.closed_at = None;
            s.satisfaction = None;
        }
        Action::Urge => {
            if let Some(u) = &t.urge {
                s.urges.push(UrgeRecord {
                    by: t.by.clone(),
                    role: t.role.clone(),
                    at: t.at,
                    unit: u.unit.clone(),
                    method: u.method,
                    note: t.note.clone(),
                    promised: u.promised,
                });
            }
        }
        a if a.is_part_step() => {
            let unit = t.part.as_deref().unwrap_or_default();
            if let Some(p) = s.parts.iter_mut().find(|p| p.unit == unit) {
                p.status = match a {
                    Action::PartStart | Action::PartRedo => PartStatus::Handling,
                    Action::PartFinish => PartStatus::Finished,
                    Action::PartReturn => PartStatus::Returned,
                    _ => PartStatus::Released,
                };
                p.finished_at = (p.status == PartStatus::Finished).then_some(t.at);
                p.note = t.note.clone();
                p.since = t.at;
            }
        }
        _ => {}
    }
    if action.moves().1.is_some() && next != s.stage || action == Action::Escalate {
        s.stage_since = t.at;
    }
    s.stage = next;
}
