//! Measuring a subject's work over a period from the records behind it: patrols,
//! record edits, home visits and incidents. Every value keeps the ids of the
//! records it counted, so a score can be traced to them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::report::CaseRow;
use super::rules::Metric;
use crate::incident::Catalogue;
use crate::records::RecordKind;
use crate::time::date_at;

/// A patrol as the assessment counts it (from the server's review of its track).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolBrief {
    /// The patrol log's id.
    pub id: String,
    /// Whose patrol.
    pub worker: String,
    /// The grid patrolled.
    pub grid: String,
    /// When it started, unix seconds.
    pub started_at: i64,
    /// Hours patrolled (pauses left out).
    pub hours: f64,
    /// The share of the grid's cells passed, 0..1, when the grid has a boundary.
    pub coverage: Option<f64>,
    /// Whether the authenticity checks found a faked track.
    pub flagged: bool,
}

/// One person's change to a household or person record in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordEdit {
    /// The record's id.
    pub record: String,
    /// Household or person.
    pub kind: RecordKind,
    /// The record's grid.
    pub grid: String,
    /// Who changed it (staff id, from the change's author).
    pub by: String,
}

/// One home visit in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitBrief {
    /// The household visited.
    pub household: String,
    /// Its grid.
    pub grid: String,
    /// Who visited.
    pub by: String,
    /// When, unix seconds.
    pub at: i64,
}

/// Everything measured over one period: patrols, edits and visits in the period,
/// and the incidents (each with its replayed workflow) of the area.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// The incidents reported in the period, as their query rows keep them.
    pub incidents: Vec<CaseRow>,
    /// Patrols started in the period.
    pub patrols: Vec<PatrolBrief>,
    /// Distinct (record, author) changes in the period.
    pub edits: Vec<RecordEdit>,
    /// Visits in the period.
    pub visits: Vec<VisitBrief>,
}

/// Whose work is measured.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// A grid worker, by staff id.
    Worker(&'a str),
    /// A grid, village or town: the grid codes it holds, and the totals of the
    /// grid workers who work in it (staff id, total score).
    Area {
        /// Its grids.
        grids: &'a BTreeSet<String>,
        /// Its grid workers' total scores for the period.
        workers: &'a [(String, f64)],
    },
    /// A handling unit, by code: the cases it leads.
    Unit(&'a str),
}

/// One measured value with the records behind it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The value: a count, hours, a rate 0..1 or a mean score. `None` when there
    /// was nothing to measure (a rate over no cases).
    pub value: Option<f64>,
    /// For a rate, the cases counted in its numerator; else the count.
    pub hits: u64,
    /// For a rate, the cases in its denominator.
    pub of: Option<u64>,
    /// The records counted: patrol, incident, household or person ids (staff ids
    /// for a mean of workers' scores).
    pub records: Vec<String>,
}

/// A working day after a case was handled: verification after that is late.
pub const VERIFY_DAYS: u32 = 1;

fn count(records: Vec<String>) -> Measure {
    Measure {
        value: Some(records.len() as f64),
        hits: records.len() as u64,
        of: None,
        records,
    }
}

fn rate(hits: Vec<String>, of: Vec<String>) -> Measure {
    Measure {
        value: (!of.is_empty()).then(|| hits.len() as f64 / of.len() as f64),
        hits: hits.len() as u64,
        of: Some(of.len() as u64),
        records: of,
    }
}

/// Measures every metric that applies to `who` over `[from, to)`. Incidents
/// count when reported in the period (as the statistics do); "overdue" is at
/// `now`. `catalogue` gives each case's deadlines, counted in working days.
pub fn measure(
    who: Who<'_>,
    activity: &Activity,
    catalogue: &Catalogue,
    (from, to): (i64, i64),
    now: i64,
) -> BTreeMap<Metric, Measure> {
    let mut out = BTreeMap::new();
    let in_area = |grid: &str| match who {
        Who::Area { grids, .. } => grids.contains(grid),
        _ => false,
    };
    // Patrols, edits and visits: a worker's own, or those in the area's grids.
    if !matches!(who, Who::Unit(_)) {
        let mine = |worker: &str, grid: &str| match who {
            Who::Worker(w) => w == worker,
            _ => in_area(grid),
        };
        let patrols: Vec<&PatrolBrief> = activity
            .patrols
            .iter()
            .filter(|p| mine(&p.worker, &p.grid) && (from..to).contains(&p.started_at))
            .collect();
        // (+ 0.0: an empty sum is -0.0.)
        let hours: f64 = patrols.iter().map(|p| p.hours).sum::<f64>() + 0.0;
        out.insert(
            Metric::PatrolHours,
            Measure {
                value: Some(hours),
                hits: patrols.len() as u64,
                of: None,
                records: patrols.iter().map(|p| p.id.clone()).collect(),
            },
        );
        let days: BTreeSet<String> = patrols
            .iter()
            .map(|p| date_at(p.started_at).to_string())
            .collect();
        out.insert(
            Metric::PatrolDays,
            Measure {
                value: Some(days.len() as f64),
                hits: days.len() as u64,
                of: None,
                records: patrols.iter().map(|p| p.id.clone()).collect(),
            },
        );
        let covered: Vec<(&PatrolBrief, f64)> = patrols
            .iter()
            .filter_map(|p| p.coverage.map(|c| (*p, c)))
            .collect();
        out.insert(
            Metric::Coverage,
            Measure {
                value: (!covered.is_empty())
                    .then(|| covered.iter().map(|(_, c)| c).sum::<f64>() / covered.len() as f64),
                hits: covered.len() as u64,
                of: Some(covered.len() as u64),
                records: covered.iter().map(|(p, _)| p.id.clone()).collect(),
            },
        );
        out.insert(
            Metric::FakedTracks,
            count(
                patrols
                    .iter()
                    .filter(|p| p.flagged)
                    .map(|p| p.id.clone())
                    .collect(),
            ),
        );
        for (metric, kind) in [
            (Metric::HouseholdsUpdated, RecordKind::Household),
            (Metric::PersonsUpdated, RecordKind::Person),
        ] {
            let records: BTreeSet<&str> = activity
                .edits
                .iter()
                .filter(|e| e.kind == kind && mine(&e.by, &e.grid))
                .map(|e| e.record.as_str())
                .collect();
            out.insert(
                metric,
                count(records.into_iter().map(String::from).collect()),
            );
        }
        out.insert(
            Metric::Visits,
            count(
                activity
                    .visits
                    .iter()
                    .filter(|v| mine(&v.by, &v.grid) && (from..to).contains(&v.at))
                    .map(|v| v.household.clone())
                    .collect(),
            ),
        );
    }
    // Incidents reported in the period: the worker's own reports, the area's
    // cases, or the cases the unit leads.
    let cases: Vec<&CaseRow> = activity
        .incidents
        .iter()
        .filter(|c| {
            (from..to).contains(&c.reported_at)
                && match who {
                    Who::Worker(w) => c.reporter == w,
                    Who::Area { .. } => in_area(&c.grid),
                    Who::Unit(u) => c.assignee.as_deref() == Some(u),
                }
        })
        .collect();
    let ids = |f: &dyn Fn(&CaseRow) -> bool| -> Vec<String> {
        cases
            .iter()
            .filter(|c| f(c))
            .map(|c| c.id.clone())
            .collect()
    };
    if let Who::Worker(_) = who {
        out.insert(Metric::IncidentsReported, count(ids(&|_| true)));
        out.insert(Metric::ReportsValid, count(ids(&|c| c.accepted())));
        return out;
    }
    let all = ids(&|_| true);
    let accepted = ids(&|c| c.accepted());
    let closed = ids(&|c| c.closed_at.is_some());
    let on_time = ids(&|c| c.closed_on_time(catalogue));
    let answered = ids(&|c| c.answer.is_some());
    let satisfied = ids(&|c| c.answer.is_some_and(|a| a.is_satisfied()));
    out.insert(Metric::AcceptanceRate, rate(accepted.clone(), all));
    out.insert(Metric::OnTimeCloseRate, rate(on_time, closed.clone()));
    out.insert(Metric::ClosureRate, rate(closed, accepted));
    out.insert(Metric::SatisfactionRate, rate(satisfied, answered));
    out.insert(Metric::Overdue, count(ids(&|c| c.overdue(catalogue, now))));
    match who {
        Who::Unit(unit) => {
            out.insert(
                Metric::Urged,
                count(ids(&|c| c.urged_units.iter().any(|u| u == unit))),
            );
            out.insert(
                Metric::Returns,
                count(ids(&|c| c.returned_by.iter().any(|u| u == unit))),
            );
        }
        Who::Area { workers, .. } => {
            out.insert(Metric::Urged, count(ids(&|c| !c.urged_units.is_empty())));
            let verified = ids(&|c| c.verified_on_time.is_some());
            let verified_on_time = ids(&|c| c.verified_on_time == Some(true));
            out.insert(Metric::VerifiedOnTime, rate(verified_on_time, verified));
            out.insert(
                Metric::WorkerScore,
                Measure {
                    value: (!workers.is_empty()).then(|| {
                        workers.iter().map(|(_, t)| t).sum::<f64>() / workers.len() as f64
                    }),
                    hits: workers.len() as u64,
                    of: Some(workers.len() as u64),
                    records: workers.iter().map(|(w, _)| w.clone()).collect(),
                },
            );
        }
        Who::Worker(_) => {}
    }
    out
}
