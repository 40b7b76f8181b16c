//! The statistics page's figures through the caller's area: per village, grid or
//! handling unit over a period, counted from the incidents' query rows (no record
//! is opened), and patrol hours and coverage per worker from the patrols' kept
//! briefs. A county's month costs rows, not documents.

use std::collections::{BTreeMap, HashMap};

use fieldgrid_core::assessment::{CaseRow, PatrolBrief, incident_stats};
use fieldgrid_core::incident::{Catalogue, IncidentStats};
use fieldgrid_core::org::OrgTree;

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
    Ok(figures(
        &caller.tree,
        &rows,
        by,
        &catalogue,
        range,
        crate::now(),
    ))
}

/// The figures per group of `rows` reported in `range`, grouped by `by` with
/// the names `tree` gives, deadlines from `catalogue`, overdue at `now`. Rows
/// whose group is unknown (a grid the tree lacks, a case with no lead unit) are
/// left out of the village and unit groupings.
pub fn figures(
    tree: &OrgTree,
    rows: &[CaseRow],
    by: StatsBy,
    catalogue: &Catalogue,
    range: (i64, i64),
    now: i64,
) -> BTreeMap<String, IncidentStats> {
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
    incident_stats(
        rows,
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
        catalogue,
        range,
        now,
    )
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
    let briefs = tracks::patrol_briefs(state, caller, from, to).await?;
    Ok(patrols_per_worker(briefs, (from, to)))
}

/// Sums patrol briefs per worker: those started in `[from, to)`.
pub fn patrols_per_worker(
    briefs: impl IntoIterator<Item = PatrolBrief>,
    (from, to): (i64, i64),
) -> BTreeMap<String, PatrolFigures> {
    let mut out: BTreeMap<String, PatrolFigures> = BTreeMap::new();
    for brief in briefs {
        if !(from..to).contains(&brief.started_at) {
            continue;
        }
        let f = out.entry(brief.worker).or_default();
        f.patrols += 1;
        f.hours += brief.hours;
        f.best_coverage = f.best_coverage.max(brief.coverage.unwrap_or(0.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldgrid_core::incident::{Stage, default_catalogue};
    use fieldgrid_core::org::demo::demo_county;
    use fieldgrid_core::records::{Channel, Satisfaction, Urgency};

    const DAY: i64 = 86_400;
    const T0: i64 = 1_795_500_000;

    fn row(id: &str, grid: &str, at: i64, lead: Option<&str>, closed: Option<i64>) -> CaseRow {
        CaseRow {
            id: id.into(),
            grid: grid.into(),
            category: "other.general".into(),
            channel: Channel::GridWorker,
            urgency: Urgency::Normal,
            reported_at: at,
            stage: if closed.is_some() {
                Stage::Closed
            } else if lead.is_some() {
                Stage::Dispatched
            } else {
                Stage::Reported
            },
            assignee: lead.map(str::to_owned),
            dispatched_at: lead.map(|_| at + 600),
            closed_at: closed,
            answer: closed.map(|_| Satisfaction::Satisfied),
            reporter: "worker-320722104201001".into(),
            accepted_at: lead.map(|_| at + 300),
            urged_units: Vec::new(),
            returned_by: Vec::new(),
            verified_on_time: None,
        }
    }

    fn rows() -> Vec<CaseRow> {
        let zhifa = Some("320722104000-zhifa");
        vec![
            // 安峰村: two grids, one case closed in a day, one waiting.
            row("a", "320722104201001", T0, zhifa, Some(T0 + DAY)),
            row("b", "320722104201002", T0 + 60, None, None),
            // 山口村: one dispatched, open for ten days (overdue).
            row("c", "320722104202001", T0 + 120, zhifa, None),
            // Outside the period.
            row("d", "320722104202001", T0 + 40 * DAY, zhifa, None),
            // A grid the tree does not know.
            row("e", "999999999999001", T0, None, None),
        ]
    }

    #[test]
    fn figures_group_rows_by_the_names_the_tree_gives() {
        let tree = demo_county();
        let catalogue = default_catalogue();
        let range = (T0 - DAY, T0 + 30 * DAY);
        let now = T0 + 10 * DAY;
        let by_village = figures(&tree, &rows(), StatsBy::Village, &catalogue, range, now);
        assert_eq!(
            by_village.keys().collect::<Vec<_>>(),
            ["安峰村", "山口村"],
            "an unknown grid has no village"
        );
        let anfeng = &by_village["安峰村"];
        assert_eq!((anfeng.received, anfeng.accepted, anfeng.closed), (2, 1, 1));
        assert_eq!(anfeng.acceptance_rate, Some(0.5));
        assert_eq!(anfeng.avg_handling_hours, Some(24.0));
        assert_eq!(anfeng.satisfaction_rate, Some(1.0));
        assert_eq!(by_village["山口村"].overdue_now, 1);

        let by_grid = figures(&tree, &rows(), StatsBy::Grid, &catalogue, range, now);
        assert_eq!(by_grid["安峰村第一网格"].received, 1);
        assert_eq!(
            by_grid["999999999999001"].received, 1,
            "kept under its code"
        );

        let by_unit = figures(&tree, &rows(), StatsBy::Platform, &catalogue, range, now);
        assert_eq!(by_unit.keys().collect::<Vec<_>>(), ["综合执法平台"]);
        assert_eq!(by_unit["综合执法平台"].received, 2);
    }

    #[test]
    fn patrols_are_summed_per_worker_within_the_period() {
        let brief =
            |id: &str, worker: &str, at: i64, hours: f64, coverage: Option<f64>| PatrolBrief {
                id: id.into(),
                worker: worker.into(),
                grid: "320722104201001".into(),
                started_at: at,
                hours,
                coverage,
                flagged: false,
            };
        let per = patrols_per_worker(
            [
                brief("p1", "w1", T0, 2.0, Some(0.4)),
                brief("p2", "w1", T0 + DAY, 1.5, Some(0.7)),
                brief("p3", "w1", T0 + 9 * DAY, 5.0, Some(0.9)),
                brief("p4", "w2", T0, 1.0, None),
            ],
            (T0, T0 + 7 * DAY),
        );
        assert_eq!(
            per["w1"],
            PatrolFigures {
                patrols: 2,
                hours: 3.5,
                best_coverage: 0.7
            }
        );
        assert_eq!(per["w2"].best_coverage, 0.0);
        assert_eq!(per.len(), 2);
    }
}
