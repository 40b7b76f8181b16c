//! Periodic reports (日报、周报、月报、季报): a period's figures per town, village,
//! grid, handling unit or category, against the period before; counts by channel
//! and category; the cases overdue now; and a trend over the last periods. Built
//! from the incidents' query rows (no document is opened), so a county's quarter
//! over a year of cases stays fast.

use std::collections::BTreeMap;

use serde::Serialize;

use super::period::Period;
use crate::incident::deadlines::{Colour, DayCount, add_days, colour};
use crate::incident::{Action, Catalogue, IncidentStats, Stage, WorkflowState};
use crate::records::{Channel, Incident, Satisfaction, Urgency};

/// How many periods the trend shows, the report's own last.
pub const TREND_PERIODS: usize = 6;

/// An incident as reports, statistics and assessment count it: the facts kept
/// in its row of the query table whenever the record changes ([`CaseRow::of`]),
/// so that a county's figures over a period read rows and open no document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    /// The incident's id.
    pub id: String,
    /// Its grid.
    pub grid: String,
    /// Its category code.
    pub category: String,
    /// Where it came from.
    pub channel: Channel,
    /// How urgent.
    pub urgency: Urgency,
    /// When reported, unix seconds.
    pub reported_at: i64,
    /// Where it stands.
    pub stage: Stage,
    /// The lead unit.
    pub assignee: Option<String>,
    /// When dispatched.
    pub dispatched_at: Option<i64>,
    /// When closed.
    pub closed_at: Option<i64>,
    /// The latest follow-up answer, or an older record's own answered field.
    pub answer: Option<Satisfaction>,
    /// Who reported it (staff id; empty for a resident or the hotline).
    pub reporter: String,
    /// When accepted (or resolved on the spot), if it was.
    pub accepted_at: Option<i64>,
    /// The units urged (催办) about it, each once, in the order first urged.
    pub urged_units: Vec<String>,
    /// The units that sent it back (退回) while they led it.
    pub returned_by: Vec<String>,
    /// For its latest verification, whether it came within
    /// [`VERIFY_DAYS`](super::VERIFY_DAYS) working days of the finish before it;
    /// `None` when never verified.
    pub verified_on_time: Option<bool>,
}

impl CaseRow {
    /// The facts of incident `id` with its replayed workflow `state`.
    pub fn of(id: &str, incident: &Incident, state: &WorkflowState) -> Self {
        let mut urged_units: Vec<String> = Vec::new();
        for u in &state.urges {
            if !urged_units.contains(&u.unit) {
                urged_units.push(u.unit.clone());
            }
        }
        CaseRow {
            id: id.to_owned(),
            grid: incident.grid_code.clone(),
            category: incident.category.clone(),
            channel: incident.channel,
            urgency: incident.urgency,
            reported_at: incident.reported_at,
            stage: state.stage,
            assignee: state.assignee.clone(),
            dispatched_at: state.dispatched_at,
            closed_at: state.closed_at,
            answer: state
                .satisfaction
                .or(incident.satisfaction.filter(|a| a.answered())),
            reporter: incident.reporter_id.clone(),
            accepted_at: state.accepted_at,
            urged_units,
            returned_by: returned_by(incident),
            verified_on_time: verification(incident),
        }
    }

    /// Accepted (or resolved on the spot), as opposed to waiting or not accepted.
    pub fn accepted(&self) -> bool {
        self.accepted_at.is_some()
    }

    fn state(&self) -> WorkflowState {
        let mut s = WorkflowState::new(self.reported_at);
        s.stage = self.stage;
        s.accepted_at = self.accepted_at;
        s.dispatched_at = self.dispatched_at;
        s.closed_at = self.closed_at;
        s
    }

    /// Its deadline colour at `now` (working days, the catalogue's deadlines).
    pub fn colour(&self, catalogue: &Catalogue, now: i64) -> Colour {
        let limits = catalogue.deadlines_for_case(&self.category, self.urgency);
        colour(&self.state(), &limits, DayCount::WorkDays, now)
    }

    /// Whether it is open and past its stage's deadline at `now`.
    pub fn overdue(&self, catalogue: &Catalogue, now: i64) -> bool {
        self.colour(catalogue, now) == Colour::Overdue
    }

    /// Whether it was closed by its deadline.
    pub fn closed_on_time(&self, catalogue: &Catalogue) -> bool {
        let limits = catalogue.deadlines_for_case(&self.category, self.urgency);
        self.closed_at.is_some_and(|c| {
            c <= add_days(
                self.dispatched_at.unwrap_or(self.reported_at),
                limits.resolve_days,
                DayCount::WorkDays,
            )
        })
    }
}

/// The units that sent the case back while they led it (a `returned` step made
/// while the latest dispatch named the unit), each once.
fn returned_by(incident: &Incident) -> Vec<String> {
    let mut lead: Option<&str> = None;
    let mut out: Vec<String> = Vec::new();
    for t in &incident.transitions {
        if t.to == Action::Dispatch.as_str() {
            lead = t.assignee.as_deref();
        } else if t.to == Action::Return.as_str()
            && let Some(unit) = lead
            && !out.iter().any(|u| u == unit)
        {
            out.push(unit.to_owned());
        }
    }
    out
}

/// For the case's latest verification, whether it came within
/// [`VERIFY_DAYS`](super::VERIFY_DAYS) working days of the finish before it;
/// `None` when never verified.
fn verification(incident: &Incident) -> Option<bool> {
    let mut handled: Option<i64> = None;
    let mut last = None;
    for t in &incident.transitions {
        if t.to == Action::Finish.as_str() {
            handled = Some(t.at);
        } else if t.to == Action::Verify.as_str()
            && let Some(h) = handled
        {
            last = Some(t.at <= add_days(h, super::VERIFY_DAYS, DayCount::WorkDays));
        }
    }
    last
}

/// The figures of a group of cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Reported.
    pub received: u64,
    /// Accepted.
    pub accepted: u64,
    /// Closed.
    pub closed: u64,
    /// Closed by the deadline.
    pub closed_on_time: u64,
    /// With a follow-up answer.
    pub answered: u64,
    /// Satisfied or basically satisfied.
    pub satisfied: u64,
    /// Open past their deadline now.
    pub overdue_now: u64,
    /// 受理率: accepted ÷ received.
    pub acceptance_rate: Option<f64>,
    /// 按时办结率: closed on time ÷ closed.
    pub on_time_close_rate: Option<f64>,
    /// 办结率: closed ÷ accepted.
    pub closure_rate: Option<f64>,
    /// 满意率: satisfied ÷ answered.
    pub satisfaction_rate: Option<f64>,
}

fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Figures {
    fn add(&mut self, row: &CaseRow, catalogue: &Catalogue, now: i64) {
        self.received += 1;
        self.accepted += u64::from(row.accepted());
        if row.closed_at.is_some() {
            self.closed += 1;
            self.closed_on_time += u64::from(row.closed_on_time(catalogue));
        }
        if let Some(a) = row.answer.filter(|a| a.answered()) {
            self.answered += 1;
            self.satisfied += u64::from(a.is_satisfied());
        }
        self.overdue_now += u64::from(row.overdue(catalogue, now));
    }

    fn finish(mut self) -> Self {
        self.acceptance_rate = ratio(self.accepted, self.received);
        self.on_time_close_rate = ratio(self.closed_on_time, self.closed);
        self.closure_rate = ratio(self.closed, self.accepted);
        self.satisfaction_rate = ratio(self.satisfied, self.answered);
        self
    }

    /// The figures of `rows` reported in `period`.
    pub fn of<'a>(
        rows: impl IntoIterator<Item = &'a CaseRow>,
        period: Period,
        catalogue: &Catalogue,
        now: i64,
    ) -> Figures {
        let mut f = Figures::default();
        for r in rows {
            if period.contains(r.reported_at) {
                f.add(r, catalogue, now);
            }
        }
        f.finish()
    }
}

/// The statistics page's figures per group for the cases of `rows` reported in
/// `[from, to)`, from their query rows (the same counts as
/// [`statistics`](crate::incident::statistics) makes from whole records).
/// `group` names a row's group; rows it maps to `None` are left out.
pub fn incident_stats<'a>(
    rows: impl IntoIterator<Item = &'a CaseRow>,
    group: impl Fn(&CaseRow) -> Option<String>,
    catalogue: &Catalogue,
    (from, to): (i64, i64),
    now: i64,
) -> BTreeMap<String, IncidentStats> {
    let mut out: BTreeMap<String, (IncidentStats, i64)> = BTreeMap::new();
    for row in rows {
        if row.reported_at < from || row.reported_at >= to {
            continue;
        }
        let Some(key) = group(row) else {
            continue;
        };
        let (s, handling) = out.entry(key).or_default();
        s.received += 1;
        s.accepted += u64::from(row.accepted());
        if let Some(closed) = row.closed_at {
            s.closed += 1;
            *handling += closed - row.reported_at;
            s.closed_on_time += u64::from(row.closed_on_time(catalogue));
        }
        if let Some(answer) = row.answer {
            s.assessed += 1;
            s.satisfied += u64::from(answer.is_satisfied());
        }
        s.urged += u64::from(!row.urged_units.is_empty());
        s.overdue_now += u64::from(row.overdue(catalogue, now));
    }
    out.into_iter()
        .map(|(k, (mut s, handling))| {
            s.acceptance_rate = ratio(s.accepted, s.received);
            s.on_time_close_rate = ratio(s.closed_on_time, s.closed);
            s.closure_rate = ratio(s.closed, s.accepted);
            s.satisfaction_rate = ratio(s.satisfied, s.assessed);
            s.avg_handling_hours =
                (s.closed > 0).then(|| handling as f64 / 3600.0 / s.closed as f64);
            (k, s)
        })
        .collect()
}

/// How a report groups its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// 按镇（街道）.
    Town,
    /// 按村（社区）.
    Village,
    /// 按网格.
    Grid,
    /// 按承办单位 (the lead unit).
    Unit,
    /// 按事件类别 (the top level of the catalogue).
    Category,
}

impl GroupBy {
    /// Every grouping.
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Town,
        GroupBy::Village,
        GroupBy::Grid,
        GroupBy::Unit,
        GroupBy::Category,
    ];

    /// The code.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Town => "town",
            GroupBy::Village => "village",
            GroupBy::Grid => "grid",
            GroupBy::Unit => "unit",
            GroupBy::Category => "category",
        }
    }

    /// The Chinese name of the grouping.
    pub fn name_zh(self) -> &'static str {
        match self {
            GroupBy::Town => "按镇（街道）",
            GroupBy::Village => "按村（社区）",
            GroupBy::Grid => "按网格",
            GroupBy::Unit => "按承办单位",
            GroupBy::Category => "按事件类别",
        }
    }

    /// The grouping with this code.
    pub fn parse(code: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == code)
    }
}

/// One group's figures this period and the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// The group's code (a unit, grid, work-unit or category code).
    pub key: String,
    /// Its Chinese name.
    pub name: String,
    /// This period.
    pub now: Figures,
    /// The period before.
    pub before: Figures,
}

/// A count this period and the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountRow {
    /// The code (a channel or category code).
    pub key: String,
    /// Its Chinese name.
    pub name: String,
    /// This period.
    pub now: u64,
    /// The period before.
    pub before: u64,
}

/// A periodic report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodReport {
    /// The period.
    pub period: Period,
    /// The period before it.
    pub previous: Period,
    /// The grouping.
    pub by: GroupBy,
    /// The whole area this period.
    pub totals: Figures,
    /// The whole area the period before.
    pub previous_totals: Figures,
    /// Per group, by name.
    pub groups: Vec<GroupFigures>,
    /// Received per channel.
    pub channels: Vec<CountRow>,
    /// Received per top-level category, most first.
    pub categories: Vec<CountRow>,
    /// Cases reported in the period and overdue now, oldest first.
    pub overdue: Vec<CaseRow>,
    /// The last [`TREND_PERIODS`] periods' figures, oldest first.
    pub trend: Vec<(Period, Figures)>,
}

/// The first moment the report needs rows from (the trend's first period).
pub fn rows_from(period: Period) -> i64 {
    let mut p = period;
    for _ in 1..TREND_PERIODS {
        p = p.previous();
    }
    p.bounds().0
}

/// Builds the report of `period` from `rows` (cases of the caller's area reported
/// from [`rows_from`] to the period's end). `group` names a case's group as
/// `(key, name)`, or `None` to leave it out of the groups (it still counts in the
/// totals).
pub fn period_report(
    rows: &[CaseRow],
    period: Period,
    by: GroupBy,
    group: impl Fn(&CaseRow) -> Option<(String, String)>,
    catalogue: &Catalogue,
    now: i64,
) -> PeriodReport {
    let previous = period.previous();
    let mut groups: BTreeMap<String, (String, Figures, Figures)> = BTreeMap::new();
    let mut channels: BTreeMap<Channel, (u64, u64)> = BTreeMap::new();
    let mut categories: BTreeMap<String, (String, u64, u64)> = BTreeMap::new();
    let (mut totals, mut before) = (Figures::default(), Figures::default());
    let mut overdue = Vec::new();
    for r in rows {
        let this = period.contains(r.reported_at);
        if !this && !previous.contains(r.reported_at) {
            continue;
        }
        let g = group(r);
        let top = catalogue.path(&r.category).first().map_or_else(
            || (r.category.clone(), r.category.clone()),
            |c| (c.code.clone(), c.name.clone()),
        );
        let channel = channels.entry(r.channel).or_default();
        let category = categories.entry(top.0).or_insert((top.1, 0, 0));
        if this {
            totals.add(r, catalogue, now);
            channel.0 += 1;
            category.1 += 1;
            if r.overdue(catalogue, now) {
                overdue.push(r.clone());
            }
        } else {
            before.add(r, catalogue, now);
            channel.1 += 1;
            category.2 += 1;
        }
        if let Some((key, name)) = g {
            let e = groups
                .entry(key)
                .or_insert_with(|| (name, Figures::default(), Figures::default()));
            if this {
                e.1.add(r, catalogue, now);
            } else {
                e.2.add(r, catalogue, now);
            }
        }
    }
    let mut groups: Vec<GroupFigures> = groups
        .into_iter()
        .map(|(key, (name, n, b))| GroupFigures {
            key,
            name,
            now: n.finish(),
            before: b.finish(),
        })
        .collect();
    groups.sort_by(|a, b| a.name.cmp(&b.name).then(a.key.cmp(&b.key)));
    let mut categories: Vec<CountRow> = categories
        .into_iter()
        .map(|(key, (name, now, before))| CountRow {
            key,
            name,
            now,
            before,
        })
        .collect();
    categories.sort_by(|a, b| b.now.cmp(&a.now).then(a.name.cmp(&b.name)));
    overdue.sort_by_key(|r| r.reported_at);
    let mut trend = Vec::with_capacity(TREND_PERIODS);
    let mut p = period;
    for _ in 0..TREND_PERIODS {
        trend.push((p, Figures::of(rows, p, catalogue, now)));
        p = p.previous();
    }
    trend.reverse();
    PeriodReport {
        period,
        previous,
        by,
        totals: totals.finish(),
        previous_totals: before.finish(),
        groups,
        channels: Channel::ALL
            .into_iter()
            .map(|c| {
                let (now, before) = channels.get(&c).copied().unwrap_or_default();
                CountRow {
                    key: c.as_str().into(),
                    name: c.name_zh().into(),
                    now,
                    before,
                }
            })
            .collect(),
        categories,
        overdue,
        trend,
    }
}
