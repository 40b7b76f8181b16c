//! The incident loop for the apps: the signed-in person's task list, and the
//! steps as typed calls (a [`Step`] per action with the arguments it needs, no
//! free-text stage names). The role a step is taken in is the first the person
//! holds among those the step allows; the replay on every device decides whether
//! it applies.

use std::sync::Arc;

use fieldgrid_core::incident::{Action, DayCount, PartStatus, Task, replay};
use fieldgrid_core::records::{
    Incident, IncidentTransition, JointPart, Satisfaction, Urge, UrgeMethod,
};
use fieldgrid_core::sync::SyncClient;

use crate::error::{ApiError, ApiResult};
use crate::records::{IncidentSummary, QueueEntry};
use crate::store::FieldGrid;
use crate::sync::{SyncListener, SyncProgressInfo};

/// A joint unit's share, as the dispatcher gives it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct JointPartInput {
    /// The joint unit's code.
    pub unit: String,
    /// What it must do.
    pub task: String,
    /// Its own deadline (unix seconds), if any.
    pub due: Option<i64>,
}

/// How a unit is urged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UrgeWay {
    /// 线上催办.
    Online,
    /// 电话促办.
    Phone,
    /// 线下督办.
    InPerson,
}

/// The resident's answer in a follow-up call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FollowUpAnswer {
    /// 满意.
    Satisfied,
    /// 基本满意.
    Basic,
    /// 不满意.
    Unsatisfied,
    /// 无法联系.
    Unreachable,
}

/// One step of the loop with what it needs. Fields say what they hold: `unit` a
/// unit's code, `reason` and `what_was_done` the note the step requires,
/// `promised` and `due` unix seconds.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Step {
    /// 受理.
    Accept { note: String },
    /// 不予受理.
    Reject { reason: String },
    /// 上报上级.
    Escalate { reason: String },
    /// 派遣: a lead unit, joint units with their parts, a supervising unit.
    Dispatch {
        lead: String,
        joint: Vec<JointPartInput>,
        supervisor: Option<String>,
        note: String,
    },
    /// 开始处置 (the lead).
    StartHandling,
    /// 退回 (the lead sends the case back).
    Return { reason: String },
    /// 处置完毕 (the lead).
    Finish { what_was_done: String },
    /// 联办开始.
    PartStart { unit: String },
    /// 联办完成.
    PartFinish { unit: String, what_was_done: String },
    /// 联办退回 (the joint unit).
    PartReturn { unit: String, reason: String },
    /// 联办退回重办 (the lead or the centre).
    PartRedo { unit: String, reason: String },
    /// 联办免办 (the lead or the centre).
    PartRelease { unit: String, reason: String },
    /// 催办.
    Urge {
        unit: String,
        way: UrgeWay,
        reason: String,
        promised: Option<i64>,
    },
    /// 核查通过.
    Verify { note: String },
    /// 核查不通过.
    Reopen { reason: String },
    /// 结案.
    Close { note: String },
    /// 回访.
    FollowUp {
        answer: FollowUpAnswer,
        note: String,
    },
    /// 重新办理 (after a dissatisfied answer).
    Reprocess { reason: String },
    /// 现场解决 (the reporter).
    ResolveOnSpot { what_was_done: String },
}

/// What a step's kind is, for the buttons a task offers (named as [`Step`]).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StepKind {
    Accept,
    Reject,
    Escalate,
    Dispatch,
    StartHandling,
    Return,
    Finish,
    PartStart,
    PartFinish,
    PartReturn,
    PartRedo,
    PartRelease,
    Urge,
    Verify,
    Reopen,
    Close,
    FollowUp,
    Reprocess,
    ResolveOnSpot,
}

impl StepKind {
    fn of(a: Action) -> StepKind {
        match a {
            Action::Accept => StepKind::Accept,
            Action::Reject => StepKind::Reject,
            Action::Escalate => StepKind::Escalate,
            Action::Dispatch => StepKind::Dispatch,
            Action::StartHandling => StepKind::StartHandling,
            Action::Return => StepKind::Return,
            Action::Finish => StepKind::Finish,
            Action::PartStart => StepKind::PartStart,
            Action::PartFinish => StepKind::PartFinish,
            Action::PartReturn => StepKind::PartReturn,
            Action::PartRedo => StepKind::PartRedo,
            Action::PartRelease => StepKind::PartRelease,
            Action::Urge => StepKind::Urge,
            Action::Verify => StepKind::Verify,
            Action::Reopen => StepKind::Reopen,
            Action::Close => StepKind::Close,
            Action::Assess => StepKind::FollowUp,
            Action::Reprocess => StepKind::Reprocess,
            Action::ResolveOnSpot => StepKind::ResolveOnSpot,
        }
    }
}

/// A step a task offers: its kind and the Chinese name on its button.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepOffer {
    /// What it is.
    pub kind: StepKind,
    /// The button's label.
    pub name: String,
}

/// One incident on the signed-in person's task list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TaskEntry {
    /// `accept`, `dispatch`, `lead`, `joint`, `supervise`, `verify`, `close`,
    /// `follow_up`, `reprocess`.
    pub kind: String,
    /// Its Chinese name (主办, 联办, 待核查, 待回访...).
    pub kind_name: String,
    /// The incident.
    pub incident: QueueEntry,
    /// The unit the person acts for here, if any.
    pub unit: Option<String>,
    /// That unit's Chinese name.
    pub unit_name: Option<String>,
    /// A joint part: what the unit must do.
    pub part_task: Option<String>,
    /// A joint part: its status's Chinese name.
    pub part_status_name: Option<String>,
    /// A joint part: its own deadline.
    pub part_due: Option<i64>,
    /// When the unit was urged, while unanswered (show it prominently).
    pub urged_at: Option<i64>,
    /// The steps the person may take here.
    pub steps: Vec<StepOffer>,
}

/// A joint unit's part of an incident.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PartEntry {
    /// The joint unit's code.
    pub unit: String,
    /// What it must do.
    pub task: String,
    /// `assigned`, `handling`, `finished`, `returned`, `released`.
    pub status: String,
    /// The status's Chinese name.
    pub status_name: String,
    /// Its own deadline.
    pub due: Option<i64>,
}

/// What the "anything for me?" check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct NewsInfo {
    /// The server's newest news number.
    pub latest: i64,
    /// Items for this person since the last check acted on.
    pub count: u64,
}

impl Step {
    /// The core's transition (without who, when, from and role).
    fn transition(self) -> (Action, IncidentTransition) {
        let t = |a: Action, note: String| {
            (
                a,
                IncidentTransition {
                    to: a.as_str().into(),
                    note,
                    ..IncidentTransition::default()
                },
            )
        };
        let on_part = |a: Action, unit: String, note: String| {
            let (a, mut tr) = t(a, note);
            tr.part = Some(unit);
            (a, tr)
        };
        match self {
            Step::Accept { note } => t(Action::Accept, note),
            Step::Reject { reason } => t(Action::Reject, reason),
            Step::Escalate { reason } => t(Action::Escalate, reason),
            Step::Dispatch {
                lead,
                joint,
                supervisor,
                note,
            } => {
                let (a, mut tr) = t(Action::Dispatch, note);
                tr.assignee = Some(lead);
                tr.parts = joint
                    .into_iter()
                    .map(|j| JointPart {
                        unit: j.unit,
                        task: j.task,
                        due: j.due,
                    })
                    .collect();
                tr.supervisor = supervisor;
                (a, tr)
            }
            Step::StartHandling => t(Action::StartHandling, String::new()),
            Step::Return { reason } => t(Action::Return, reason),
            Step::Finish { what_was_done } => t(Action::Finish, what_was_done),
            Step::PartStart { unit } => on_part(Action::PartStart, unit, String::new()),
            Step::PartFinish {
                unit,
                what_was_done,
            } => on_part(Action::PartFinish, unit, what_was_done),
            Step::PartReturn { unit, reason } => on_part(Action::PartReturn, unit, reason),
            Step::PartRedo { unit, reason } => on_part(Action::PartRedo, unit, reason),
            Step::PartRelease { unit, reason } => on_part(Action::PartRelease, unit, reason),
            Step::Urge {
                unit,
                way,
                reason,
                promised,
            } => {
                let (a, mut tr) = t(Action::Urge, reason);
                tr.urge = Some(Urge {
                    unit,
                    method: match way {
                        UrgeWay::Online => UrgeMethod::Online,
                        UrgeWay::Phone => UrgeMethod::Phone,
                        UrgeWay::InPerson => UrgeMethod::InPerson,
                    },
                    promised,
                });
                (a, tr)
            }
            Step::Verify { note } => t(Action::Verify, note),
            Step::Reopen { reason } => t(Action::Reopen, reason),
            Step::Close { note } => t(Action::Close, note),
            Step::FollowUp { answer, note } => {
                let (a, mut tr) = t(Action::Assess, note);
                tr.answer = Some(match answer {
                    FollowUpAnswer::Satisfied => Satisfaction::Satisfied,
                    FollowUpAnswer::Basic => Satisfaction::Basic,
                    FollowUpAnswer::Unsatisfied => Satisfaction::Unsatisfied,
                    FollowUpAnswer::Unreachable => Satisfaction::Unreachable,
                });
                (a, tr)
            }
            Step::Reprocess { reason } => t(Action::Reprocess, reason),
            Step::ResolveOnSpot { what_was_done } => t(Action::ResolveOnSpot, what_was_done),
        }
    }
}

fn part_status_name(s: PartStatus) -> String {
    s.name_zh().to_owned()
}

fn task_entry(t: Task) -> TaskEntry {
    TaskEntry {
        kind: t.kind.as_str().into(),
        kind_name: t.kind.name_zh().into(),
        incident: t.incident.into(),
        unit: t.unit,
        unit_name: t.unit_name,
        part_task: t.part_task,
        part_status_name: t.part_status.map(part_status_name),
        part_due: t.part_due,
        urged_at: t.urged_at,
        steps: t
            .actions
            .into_iter()
            .map(|a| StepOffer {
                kind: StepKind::of(a),
                name: a.name_zh().into(),
            })
            .collect(),
    }
}

#[uniffi::export]
impl FieldGrid {
    /// The signed-in person's tasks: cases their units lead, join or supervise;
    /// cases to verify; the command centre's cases to accept, dispatch, close and
    /// call back. Urged ones first, then by colour and due time.
    pub fn my_tasks(&self) -> ApiResult<Vec<TaskEntry>> {
        Ok(self
            .store
            .my_tasks(crate::store::now_s(), DayCount::WorkDays)?
            .into_iter()
            .map(task_entry)
            .collect())
    }

    /// Takes `step` on an incident as the signed-in person, in the first role they
    /// hold that the step allows; returns the incident as replayed after it.
    pub fn take_step(&self, incident_id: String, step: Step) -> ApiResult<IncidentSummary> {
        let Some(me) = self.store.current_user() else {
            return Err(ApiError::NotSignedIn {
                detail: "sign in before acting on an incident".into(),
            });
        };
        let (action, mut t) = step.transition();
        let level = replay(&self.store.get::<Incident>(&incident_id)?).level;
        let held: Vec<String> = self
            .store
            .roles_of(&me)?
            .into_iter()
            .map(|r| r.role.as_str().to_owned())
            .collect();
        let Some(role) = action
            .roles(level)
            .iter()
            .find(|r| held.iter().any(|h| h == *r))
        else {
            return Err(ApiError::Invalid {
                detail: format!(
                    "{me} holds no role that may take the step {}",
                    action.as_str()
                ),
            });
        };
        t.role = (*role).to_owned();
        self.store.incident_transition(&incident_id, t)?;
        self.incident(incident_id)
    }

    /// A joint unit's parts of an incident, in the dispatch's order.
    pub fn incident_parts(&self, incident_id: String) -> ApiResult<Vec<PartEntry>> {
        let i: Incident = self.store.get(&incident_id)?;
        Ok(replay(&i)
            .parts
            .into_iter()
            .map(|p| PartEntry {
                unit: p.unit,
                task: p.task,
                status: p.status.as_str().into(),
                status_name: part_status_name(p.status),
                due: p.due,
            })
            .collect())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldGrid {
    /// Sends the worker's latest position on a running patrol, for the command
    /// centre's live map (one tiny request; call it about once a minute while a
    /// patrol runs). `false` when there was nothing to send (no patrol running,
    /// or no fix in the last two minutes). Never queued: with no signal it fails
    /// as offline and nothing is kept; the track is still recorded and uploaded
    /// by the sync.
    pub async fn send_position(
        self: Arc<Self>,
        server_url: String,
        token: String,
    ) -> ApiResult<bool> {
        let client = SyncClient::new(&server_url, &token, env!("CARGO_PKG_VERSION"))?;
        Ok(client.send_position(&self.store).await?)
    }

    /// "Anything for me?": one small request; changes nothing on the phone.
    pub async fn check_news(
        self: Arc<Self>,
        server_url: String,
        token: String,
    ) -> ApiResult<NewsInfo> {
        let client = SyncClient::new(&server_url, &token, env!("CARGO_PKG_VERSION"))?;
        let n = client.check_news(&self.store).await?;
        Ok(NewsInfo {
            latest: n.latest,
            count: n.count,
        })
    }

    /// The background job (WorkManager, BGAppRefreshTask): checks for news and
    /// runs a full sync when there is some or changes wait to be sent. `None`
    /// when nothing was due.
    pub async fn sync_if_news(
        self: Arc<Self>,
        server_url: String,
        token: String,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> ApiResult<Option<SyncProgressInfo>> {
        let client = SyncClient::new(&server_url, &token, env!("CARGO_PKG_VERSION"))?;
        let done = client
            .sync_if_news(&self.store, |p| {
                if let Some(l) = &listener {
                    l.on_progress(p.into());
                }
            })
            .await?;
        Ok(done.as_ref().map(Into::into))
    }
}
