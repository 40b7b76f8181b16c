//! The statistics page's figures through the caller's area: per village, grid or
//! handling unit over a period, counted from the incidents' query rows (no record
//! is opened), and patrol hours and coverage per worker from the patrols' kept
//! briefs. A county's month costs rows, not documents.

use std::collections::{BTreeMap, HashMap};

use fieldgrid_core::assessment::incident_stats;
use fieldgrid_core::incident::IncidentStats;

use super::{Caller, ServiceError, records, tracks};
use crate::AppState;

/// How the statistics group the cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBy {
    /// By the village (or community) of the case's grid.
    Village,
    /// By grid.
    Grid,
    /// By the lead handling unit.
    Platform,
}

impl StatsBy {
    /// The grouping with this code (`village`, `grid`, `platform`).
    pub fn parse(code: &str) -> Option<StatsBy> {
        match code {
            "village" => Some(StatsBy::Village),
            "grid" => Some(StatsBy::Grid),
            "platform" => Some(StatsBy::Platform),
            _ => None,
        }
    }
}

/// The figures per group of the cases reported in `range` (unix seconds) in the
/// caller's area, keyed by the group's Chinese name.
pub async fn incident_figures(
    state: &AppState,
    caller: &Caller,
    range: (i64, i64),
    by: StatsBy,
) -> Result<BTreeMap<String, IncidentStats>, ServiceError> {
    let rows = records::case_rows(state, caller, range).await?;
    let catalogue = state.catalogue().await?;
    let tree = &caller.tree;
    let units: HashMap<&str, &str> = tree
        .units
        .iter()
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    let grids: HashMap<&str, (&str, &str)> = tree
        .grids
        .iter()
        .map(|g| {
            let village = units.get(g.unit.as_str()).copied().unwrap_or("");
            (g.code.as_str(), (g.name.as_str(), village))
        })
        .collect();
    let work_units: HashMap<&str, &str> = tree
        .work_units
        .iter()
        .map(|w| (w.code.as_str(), w.name.as_str()))
        .collect();
    Ok(incident_stats(
        &rows,
        |row| match by {
            StatsBy::Grid => Some(
                grids
                    .get(row.grid.as_str())
                    .map_or_else(|| row.grid.clone(), |(name, _)| (*name).to_owned()),
            ),
            StatsBy::Village => grids
                .get(row.grid.as_str())
                .filter(|(_, village)| !village.is_empty())
                .map(|(_, village)| (*village).to_owned()),
            StatsBy::Platform => row.assignee.as_deref().map(|a| {
                work_units
                    .get(a)
                    .map_or_else(|| a.to_owned(), |n| (*n).to_owned())
            }),
        },
        &catalogue,
        range,
        crate::now(),
    ))
}

/// One worker's patrols over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatrolFigures {
    /// Patrols started in the period.
    pub patrols: u32,
    /// Hours patrolled.
    pub hours: f64,
    /// The highest share of a grid covered by one patrol, 0..1.
    pub best_coverage: f64,
}

/// Patrols per worker (staff id) started in `range` (unix seconds) in the
/// caller's area, from the patrols' kept briefs.
pub async fn patrol_figures(
    state: &AppState,
    caller: &Caller,
    (from, to): (i64, i64),
) -> Result<BTreeMap<String, PatrolFigures>, ServiceError> {
    let mut out: BTreeMap<String, PatrolFigures> = BTreeMap::new();
    for brief in tracks::patrol_briefs(state, caller, from, to).await? {
        if !(from..to).contains(&brief.started_at) {
            continue;
        }
        let f = out.entry(brief.worker).or_default();
        f.patrols += 1;
        f.hours += brief.hours;
        f.best_coverage = f.best_coverage.max(brief.coverage.unwrap_or(0.0));
    }
    Ok(out)
}
