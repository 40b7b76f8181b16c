//! Assessment (考核): the rules a county publishes, the periods work is judged
//! over, measuring a subject's work from the records behind it, scorecards that
//! explain every point, and the points ledger of 以奖代补.
//!
//! Pure code: the server gathers the records (through its service layer, within
//! the caller's area) and calls [`measure()`] and [`score()`]; a phone shows the
//! scorecard the server sends it.

pub mod measure;
pub mod period;
pub mod report;
pub mod rules;
pub mod score;

#[cfg(test)]
mod tests;

pub use measure::{
    Activity, Measure, PatrolBrief, RecordEdit, VERIFY_DAYS, VisitBrief, Who, measure,
};
pub use period::{BadPeriod, Period, PeriodKind};
pub use report::{
    CaseRow, CountRow, Figures, GroupBy, GroupFigures, PeriodReport, TREND_PERIODS, incident_stats,
    period_report, rows_from,
};
pub use rules::{
    AssessmentRules, Metric, MetricKind, PointRule, RuleItem, RuleSet, Subject, default_rules,
    trim_number,
};
pub use score::{
    PointAdjustment, PointEntry, PointsLedger, ScoreItem, Scorecard, points_ledger, score,
};
