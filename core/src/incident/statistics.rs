//! The figures grids, villages, towns, departments and platforms are assessed by,
//! over a period: received, accepted, acceptance rate (受理率), closed, on-time close
//! rate (按时办结率), closure rate (办结率), average handling time, satisfaction
//! rate (满意率, from the follow-up calls), urged, overdue now.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalogue::Catalogue;
use super::deadlines::{Colour, DayCount, add_days, colour};
use super::workflow::WorkflowState;
use crate::records::Incident;

/// The assessment figures of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IncidentStats {
    /// Reported in the period.
    pub received: u64,
    /// Of those, accepted (or resolved on the spot).
    pub accepted: u64,
    /// accepted / received.
    pub acceptance_rate: Option<f64>,
    /// Of those received, closed.
    pub closed: u64,
    /// Of those closed, closed by the deadline.
    pub closed_on_time: u64,
    /// closed_on_time / closed.
    pub on_time_close_rate: Option<f64>,
    /// closed / accepted (办结率).
    pub closure_rate: Option<f64>,
    /// Of those received, urged at least once (催办).
    pub urged: u64,
    /// Mean hours from report to close, over those closed.
    pub avg_handling_hours: Option<f64>,
    /// Of those received, with a follow-up answer.
    pub assessed: u64,
    /// Of those assessed, satisfied or basically satisfied.
    pub satisfied: u64,
    /// satisfied / assessed.
    pub satisfaction_rate: Option<f64>,
    /// Of those received, open and past their deadline at `now`.
    pub overdue_now: u64,
}

fn rate(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// Computes the figures per group for incidents reported in `[from, to)`.
/// `group` names an incident's group (e.g. its grid, village, town or assignee);
/// incidents it maps to `None` are left out. Deadlines come from the catalogue.
pub fn statistics<'a>(
    incidents: impl IntoIterator<Item = (&'a Incident, &'a WorkflowState)>,
    group: impl Fn(&Incident, &WorkflowState) -> Option<String>,
    catalogue: &Catalogue,
    count: DayCount,
    (from, to): (i64, i64),
    now: i64,
) -> BTreeMap<String, IncidentStats> {
    let mut out: BTreeMap<String, (IncidentStats, i64)> = BTreeMap::new();
    for (incident, state) in incidents {
        if incident.reported_at < from || incident.reported_at >= to {
            continue;
        }
        let Some(key) = group(incident, state) else {
            continue;
        };
        let (s, handling) = out.entry(key).or_default();
        s.received += 1;
        if state.accepted_at.is_some() {
            s.accepted += 1;
        }
        let limits = catalogue.deadlines_for_case(&incident.category, incident.urgency);
        if let Some(closed) = state.closed_at {
            s.closed += 1;
            *handling += closed - incident.reported_at;
            let due = add_days(
                state.dispatched_at.unwrap_or(incident.reported_at),
                limits.resolve_days,
                count,
            );
            if closed <= due {
                s.closed_on_time += 1;
            }
        }
        // The latest answer of the follow-up calls; an older record's own field
        // when its steps carry none.
        if let Some(answer) = state
            .satisfaction
            .or(incident.satisfaction.filter(|a| a.answered()))
        {
            s.assessed += 1;
            if answer.is_satisfied() {
                s.satisfied += 1;
            }
        }
        if !state.urges.is_empty() {
            s.urged += 1;
        }
        if colour(state, &limits, count, now) == Colour::Overdue {
            s.overdue_now += 1;
        }
    }
    out.into_iter()
        .map(|(k, (mut s, handling))| {
            s.acceptance_rate = rate(s.accepted, s.received);
            s.on_time_close_rate = rate(s.closed_on_time, s.closed);
            s.closure_rate = rate(s.closed, s.accepted);
            s.satisfaction_rate = rate(s.satisfied, s.assessed);
            s.avg_handling_hours =
                (s.closed > 0).then(|| handling as f64 / 3600.0 / s.closed as f64);
            (k, s)
        })
        .collect()
}
