//! A person's work on incidents (the task list): what each role in the loop has
//! to do now, and the steps it may take there. Pure rules; the store fills them
//! from its query tables.

use serde::Serialize;

use super::QueueItem;
use super::workflow::{Action, PartStatus, Stage};

/// Why an incident is on someone's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// The command centre: accept or reject a new report (待受理).
    Accept,
    /// The command centre: dispatch an accepted case (待派遣).
    Dispatch,
    /// The lead unit: handle the case (主办).
    Lead,
    /// A joint unit: do its part (联办).
    Joint,
    /// The supervising unit: watch and urge (督办).
    Supervise,
    /// A verifier: check the handling on site (待核查).
    Verify,
    /// The command centre: close a verified case (待结案).
    Close,
    /// The command centre: call the resident back (待回访).
    FollowUp,
    /// The command centre: a dissatisfied answer to act on (回访不满意).
    Reprocess,
}

impl TaskKind {
    /// The code (API).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Accept => "accept",
            TaskKind::Dispatch => "dispatch",
            TaskKind::Lead => "lead",
            TaskKind::Joint => "joint",
            TaskKind::Supervise => "supervise",
            TaskKind::Verify => "verify",
            TaskKind::Close => "close",
            TaskKind::FollowUp => "follow_up",
            TaskKind::Reprocess => "reprocess",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            TaskKind::Accept => "待受理",
            TaskKind::Dispatch => "待派遣",
            TaskKind::Lead => "主办",
            TaskKind::Joint => "联办",
            TaskKind::Supervise => "督办",
            TaskKind::Verify => "待核查",
            TaskKind::Close => "待结案",
            TaskKind::FollowUp => "待回访",
            TaskKind::Reprocess => "回访不满意",
        }
    }

    /// The command centre's task for a case at `stage` (with the resident's latest
    /// answer), if it has one.
    pub fn for_centre(stage: Stage, unsatisfied: bool) -> Option<TaskKind> {
        Some(match stage {
            Stage::Reported => TaskKind::Accept,
            Stage::Accepted => TaskKind::Dispatch,
            Stage::Verified => TaskKind::Close,
            Stage::Closed => TaskKind::FollowUp,
            Stage::Assessed if unsatisfied => TaskKind::Reprocess,
            _ => return None,
        })
    }

    /// The steps this task offers at `stage` (a joint unit's with its part's
    /// status).
    pub fn actions(self, stage: Stage, part: Option<PartStatus>) -> Vec<Action> {
        use Action as A;
        match (self, stage) {
            (TaskKind::Accept, _) => vec![A::Accept, A::Reject, A::Escalate],
            (TaskKind::Dispatch, _) => vec![A::Dispatch, A::Escalate],
            (TaskKind::Lead, Stage::Dispatched) => vec![A::StartHandling, A::Return],
            (TaskKind::Lead, Stage::Handling) => {
                vec![A::Finish, A::Return, A::PartRedo, A::PartRelease]
            }
            (TaskKind::Joint, _) => match part {
                Some(PartStatus::Assigned) => vec![A::PartStart, A::PartFinish, A::PartReturn],
                Some(PartStatus::Handling) => vec![A::PartFinish, A::PartReturn],
                _ => Vec::new(),
            },
            (TaskKind::Supervise, _) => vec![A::Urge],
            (TaskKind::Verify, _) => vec![A::Verify, A::Reopen],
            (TaskKind::Close, _) => vec![A::Close],
            (TaskKind::FollowUp, _) => vec![A::Assess],
            (TaskKind::Reprocess, _) => vec![A::Reprocess],
            _ => Vec::new(),
        }
    }
}

/// One incident on a person's task list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// Why it is on the list.
    pub kind: TaskKind,
    /// The incident as the queue shows it.
    pub incident: QueueItem,
    /// The unit the person acts for here (lead, joint or supervising), if any.
    pub unit: Option<String>,
    /// That unit's Chinese name.
    pub unit_name: Option<String>,
    /// A joint unit's part: what it must do.
    pub part_task: Option<String>,
    /// A joint unit's part: where it stands.
    pub part_status: Option<PartStatus>,
    /// A joint unit's part: its own deadline.
    pub part_due: Option<i64>,
    /// When the unit was last urged, if that urge is still unanswered (shown
    /// prominently).
    pub urged_at: Option<i64>,
    /// The steps the person may take here.
    pub actions: Vec<Action>,
}

/// A joint part near or past its own deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartDue {
    /// The incident's id.
    pub id: String,
    /// Its grid.
    pub grid_code: String,
    /// Its category code.
    pub category: String,
    /// The joint unit's code.
    pub unit: String,
    /// The joint unit's Chinese name.
    pub unit_name: String,
    /// What the unit must do.
    pub task: String,
    /// The part's deadline.
    pub due: i64,
    /// When the unit was last urged on it, while unanswered.
    pub urged_at: Option<i64>,
}
