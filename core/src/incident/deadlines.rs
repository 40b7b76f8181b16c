//! Deadlines and the supervisors' colours, computed from the replayed state at any
//! given time, on the phone offline as on the server.

use serde::Serialize;

use super::workflow::{Stage, WorkflowState};
use crate::records::{Grade, Urgency};

/// How days are counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Every day counts.
    #[default]
    Calendar,
    /// Saturdays and Sundays (China time) do not count.
    WorkDays,
}

/// The time allowed per stage (the catalogue gives them per category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StageDeadlines {
    /// From report to dispatch, days (typically 1).
    pub dispatch_days: u32,
    /// From dispatch to close, days (typically 3).
    pub resolve_days: u32,
}

impl Default for StageDeadlines {
    fn default() -> Self {
        StageDeadlines {
            dispatch_days: 1,
            resolve_days: 3,
        }
    }
}

impl StageDeadlines {
    /// These limits shortened for a case's grade and urgency (分级): a
    /// significant case or an urgent one gets half the time to resolve, a major
    /// case or an emergency one day; never less than one day per stage.
    pub fn for_case(self, grade: Option<Grade>, urgency: Urgency) -> StageDeadlines {
        let half = self.resolve_days.div_ceil(2).max(1);
        let by_grade = match grade {
            Some(Grade::Major) => 1,
            Some(Grade::Significant) => half,
            _ => self.resolve_days,
        };
        let by_urgency = match urgency {
            Urgency::Emergency => 1,
            Urgency::Urgent => half,
            Urgency::Normal => self.resolve_days,
        };
        StageDeadlines {
            dispatch_days: self.dispatch_days.max(1),
            resolve_days: by_grade.min(by_urgency).max(1),
        }
    }
}

/// A supervisor's colour for an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// In time (待处).
    Pending,
    /// Less than a quarter of the allowed time left (预警).
    Warning,
    /// Past the deadline (超期).
    Overdue,
    /// The loop is finished.
    Done,
}

const DAY: i64 = 86_400;
const CST: i64 = 8 * 3600;

fn is_weekend(t: i64) -> bool {
    // 1970-01-01 was a Thursday; 0 = Sunday.
    let weekday = ((t + CST).div_euclid(DAY) + 4).rem_euclid(7);
    weekday == 0 || weekday == 6
}

/// `start` plus `days`, counted as `count` says (unix seconds).
pub fn add_days(start: i64, days: u32, count: DayCount) -> i64 {
    match count {
        DayCount::Calendar => start + i64::from(days) * DAY,
        DayCount::WorkDays => {
            let mut t = start;
            let mut left = days;
            while left > 0 {
                t += DAY;
                if !is_weekend(t) {
                    left -= 1;
                }
            }
            t
        }
    }
}

/// The deadline of the current stage, if the loop is not finished: dispatch is due
/// a span after the report, resolution a span after the dispatch.
pub fn deadline(state: &WorkflowState, limits: &StageDeadlines, count: DayCount) -> Option<i64> {
    match state.stage {
        s if s.is_done() => None,
        Stage::Reported | Stage::Accepted => {
            Some(add_days(state.reported_at, limits.dispatch_days, count))
        }
        _ => Some(add_days(
            state.dispatched_at.unwrap_or(state.reported_at),
            limits.resolve_days,
            count,
        )),
    }
}

/// The colour at time `now` (unix seconds).
pub fn colour(state: &WorkflowState, limits: &StageDeadlines, count: DayCount, now: i64) -> Colour {
    let Some(due) = deadline(state, limits, count) else {
        return Colour::Done;
    };
    let start = match state.stage {
        Stage::Reported | Stage::Accepted => state.reported_at,
        _ => state.dispatched_at.unwrap_or(state.reported_at),
    };
    if now > due {
        Colour::Overdue
    } else if (due - now) * 4 < (due - start) {
        Colour::Warning
    } else {
        Colour::Pending
    }
}
