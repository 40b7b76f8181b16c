//! Incidents (事件): the closed loop from report to assessment, with deadlines and
//! colours. The incident record is `records::Incident`; this module replays its
//! transitions.

pub mod catalogue;
pub mod catalogue_rows;
pub mod category_search;
pub mod deadlines;
mod routing;
mod statistics;
pub mod tasks;
pub mod workflow;

pub use catalogue::{Catalogue, Category, CategoryRefusal, Grade, default_catalogue};
pub use catalogue_rows::{CATALOGUE_HEADERS, CatalogueRow};
pub use category_search::{CategoryChoice, CategoryIndex};
pub use deadlines::{Colour, DayCount, StageDeadlines, colour, deadline};
pub use statistics::{IncidentStats, statistics};
pub use tasks::{PartDue, Task, TaskKind};
pub use workflow::{
    Action, Conflict, FollowUpRecord, PartState, PartStatus, Stage, UrgeRecord, WorkflowState,
    replay,
};

#[cfg(test)]
mod joint_tests;
#[cfg(test)]
pub(crate) mod tests;

/// The catalogue's name among the reference data.
pub(crate) const CATALOGUE: &str = crate::kind::ReferenceKind::Catalogue.as_str();

/// One incident in a supervisor's or worker's list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueItem {
    /// The record id.
    pub id: String,
    /// Its grid.
    pub grid_code: String,
    /// Its category code.
    pub category: String,
    /// The category's Chinese name (the code when the catalogue lacks it).
    pub category_name: String,
    /// Where it stands.
    pub stage: String,
    /// The stage's Chinese name.
    pub stage_name: String,
    /// Who it is dispatched to (a handling unit's code).
    pub assignee: Option<String>,
    /// The unit's Chinese name (the code when the org tree lacks it).
    pub assignee_name: Option<String>,
    /// How urgent the reporter judged it.
    pub urgency: crate::records::Urgency,
    /// How it reached the command centre.
    pub channel: crate::records::Channel,
    /// 0 at the town's command centre, 1 escalated to the county's.
    pub level: u32,
    /// Its colour at the time asked.
    pub colour: Colour,
    /// When the current stage is due (unix seconds), if open.
    pub due: Option<i64>,
    /// Transitions kept as conflicts (shown to supervisors).
    pub conflicts: u32,
    /// The resident's latest answer in a follow-up call (回访), if any.
    pub follow_up: Option<crate::records::Satisfaction>,
}
