//! Incidents (事件): the closed loop from report to assessment, with deadlines and
//! colours. The incident record is `records::Incident`; this module replays its
//! transitions.

pub mod deadlines;
pub mod workflow;

pub use deadlines::{Colour, DayCount, StageDeadlines, colour, deadline};
pub use workflow::{Action, Conflict, Stage, WorkflowState, replay};

#[cfg(test)]
mod tests;
