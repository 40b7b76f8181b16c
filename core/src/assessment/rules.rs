//! The assessment rules (考核办法) a county publishes as versioned reference data:
//! per kind of subject (grid worker, grid, village, town, handling unit) the items
//! scored, each with a weight, a target and a cap; and the points paid per valid
//! item of information (以奖代补). The shipped example is data,
//! `core/forms/assessment-rules.json`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::kind::{ReferenceData, ReferenceKind};

/// What is assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A grid worker (网格员, 网格长): a person with a role over grids.
    Worker,
    /// A grid (网格).
    Grid,
    /// A village or community (村、社区).
    Village,
    /// A town or street office (镇、街道).
    Town,
    /// A platform or department that handles cases (承办单位).
    Unit,
}

impl Subject {
    /// Every subject.
    pub const ALL: [Subject; 5] = [
        Subject::Worker,
        Subject::Grid,
        Subject::Village,
        Subject::Town,
        Subject::Unit,
    ];

    /// The code in the rules, the API and the pages' links.
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Worker => "worker",
            Subject::Grid => "grid",
            Subject::Village => "village",
            Subject::Town => "town",
            Subject::Unit => "unit",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Subject::Worker => "网格员",
            Subject::Grid => "网格",
            Subject::Village => "村（社区）",
            Subject::Town => "镇（街道）",
            Subject::Unit => "承办单位",
        }
    }

    /// The subject with this code.
    pub fn parse(code: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

/// How an item turns a measured value into a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// A count over the period: its target is per 30 days and scales with the
    /// period's length; score = weight × min(value ÷ target, cap).
    Count,
    /// A level (a rate, a coverage, a mean score): the target does not scale;
    /// score = weight × min(value ÷ target, cap).
    Level,
    /// Something that should not happen: each occurrence takes `weight` points
    /// off, at most `cap` points in all.
    Deduction,
}

/// What an item measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Hours patrolled (巡查时长).
    PatrolHours,
    /// Days with at least one patrol (巡查天数).
    PatrolDays,
    /// Mean coverage of the patrols' grids (网格覆盖率), 0..1.
    Coverage,
    /// Incidents reported (上报事件).
    IncidentsReported,
    /// Reports accepted as valid (有效上报): accepted or resolved on the spot.
    ReportsValid,
    /// Households whose record the person changed (户信息更新).
    HouseholdsUpdated,
    /// Persons whose record the person changed (人员信息更新).
    PersonsUpdated,
    /// Home visits recorded (入户走访).
    Visits,
    /// Patrols the authenticity checks flagged (虚假轨迹).
    FakedTracks,
    /// Accepted over received (受理率).
    AcceptanceRate,
    /// Closed by the deadline over closed (按时办结率).
    OnTimeCloseRate,
    /// Closed over accepted (办结率).
    ClosureRate,
    /// Satisfied or basically satisfied over answered follow-up calls (满意率).
    SatisfactionRate,
    /// Handled cases verified within one working day (按时核查率).
    VerifiedOnTime,
    /// Cases open past their deadline now (超期未办结).
    Overdue,
    /// Cases the unit sent back (退回).
    Returns,
    /// Cases urged (被催办).
    Urged,
    /// The mean total score of the area's grid workers (网格员平均得分).
    WorkerScore,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 18] = [
        Metric::PatrolHours,
        Metric::PatrolDays,
        Metric::Coverage,
        Metric::IncidentsReported,
        Metric::ReportsValid,
        Metric::HouseholdsUpdated,
        Metric::PersonsUpdated,
        Metric::Visits,
        Metric::FakedTracks,
        Metric::AcceptanceRate,
        Metric::OnTimeCloseRate,
        Metric::ClosureRate,
        Metric::SatisfactionRate,
        Metric::VerifiedOnTime,
        Metric::Overdue,
        Metric::Returns,
        Metric::Urged,
        Metric::WorkerScore,
    ];

    /// The code in the rules and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::PatrolHours => "patrol_hours",
            Metric::PatrolDays => "patrol_days",
            Metric::Coverage => "coverage",
            Metric::IncidentsReported => "incidents_reported",
            Metric::ReportsValid => "reports_valid",
            Metric::HouseholdsUpdated => "households_updated",
            Metric::PersonsUpdated => "persons_updated",
            Metric::Visits => "visits",
            Metric::FakedTracks => "faked_tracks",
            Metric::AcceptanceRate => "acceptance_rate",
            Metric::OnTimeCloseRate => "on_time_close_rate",
            Metric::ClosureRate => "closure_rate",
            Metric::SatisfactionRate => "satisfaction_rate",
            Metric::VerifiedOnTime => "verified_on_time",
            Metric::Overdue => "overdue",
            Metric::Returns => "returns",
            Metric::Urged => "urged",
            Metric::WorkerScore => "worker_score",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Metric::PatrolHours => "巡查时长",
            Metric::PatrolDays => "巡查天数",
            Metric::Coverage => "网格覆盖率",
            Metric::IncidentsReported => "上报事件",
            Metric::ReportsValid => "有效上报",
            Metric::HouseholdsUpdated => "户信息更新",
            Metric::PersonsUpdated => "人员信息更新",
            Metric::Visits => "入户走访",
            Metric::FakedTracks => "虚假轨迹",
            Metric::AcceptanceRate => "受理率",
            Metric::OnTimeCloseRate => "按时办结率",
            Metric::ClosureRate => "办结率",
            Metric::SatisfactionRate => "满意率",
            Metric::VerifiedOnTime => "按时核查率",
            Metric::Overdue => "超期未办结",
            Metric::Returns => "退回",
            Metric::Urged => "被催办",
            Metric::WorkerScore => "网格员平均得分",
        }
    }

    /// The unit a value is written in (empty for a rate, shown as a percentage).
    pub fn unit_zh(self) -> &'static str {
        match self {
            Metric::PatrolHours => "小时",
            Metric::PatrolDays => "天",
            Metric::IncidentsReported | Metric::ReportsValid => "件",
            Metric::HouseholdsUpdated => "户",
            Metric::PersonsUpdated => "人",
            Metric::Visits => "次",
            Metric::FakedTracks => "次",
            Metric::Overdue | Metric::Returns | Metric::Urged => "件",
            Metric::WorkerScore => "分",
            _ => "",
        }
    }

    /// A value as a person reads it: `85.0%` for a rate, `32.5小时`, `3件`;
    /// `—` for nothing to measure.
    pub fn show(self, value: Option<f64>) -> String {
        match value {
            None => "—".into(),
            Some(v) if self.is_rate() => format!("{:.1}%", v * 100.0),
            Some(v) => format!("{}{}", trim_number(v), self.unit_zh()),
        }
    }

    /// Whether the value is a fraction shown as a percentage.
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            Metric::Coverage
                | Metric::AcceptanceRate
                | Metric::OnTimeCloseRate
                | Metric::ClosureRate
                | Metric::SatisfactionRate
                | Metric::VerifiedOnTime
        )
    }

    /// How it scores.
    pub fn kind(self) -> MetricKind {
        match self {
            Metric::FakedTracks | Metric::Overdue | Metric::Returns | Metric::Urged => {
                MetricKind::Deduction
            }
            m if m.is_rate() || m == Metric::WorkerScore => MetricKind::Level,
            _ => MetricKind::Count,
        }
    }

    /// The subjects it can be measured for.
    pub fn subjects(self) -> &'static [Subject] {
        use Subject::*;
        match self {
            Metric::PatrolHours
            | Metric::PatrolDays
            | Metric::IncidentsReported
            | Metric::ReportsValid
            | Metric::HouseholdsUpdated
            | Metric::PersonsUpdated
            | Metric::Visits
            | Metric::FakedTracks => &[Worker, Grid, Village, Town],
            Metric::Coverage => &[Worker, Grid, Village, Town],
            Metric::AcceptanceRate | Metric::VerifiedOnTime => &[Grid, Village, Town],
            Metric::OnTimeCloseRate
            | Metric::ClosureRate
            | Metric::SatisfactionRate
            | Metric::Overdue
            | Metric::Urged => &[Grid, Village, Town, Unit],
            Metric::Returns => &[Unit],
            Metric::WorkerScore => &[Grid, Village, Town],
        }
    }

    /// The metric with this code.
    pub fn parse(code: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == code)
    }
}

/// One scored item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleItem {
    /// What it measures.
    pub metric: Metric,
    /// Points for meeting the target; for a deduction, points off per occurrence.
    pub weight: f64,
    /// The target: per 30 days for a count, the level for a rate or mean score.
    /// Unused for a deduction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// At most this multiple of the weight (default 1: no extra for beating the
    /// target); for a deduction, at most this many points off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
}

/// The items one kind of subject is scored on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Who.
    pub subject: Subject,
    /// The items, in the order the pages show them.
    pub items: Vec<RuleItem>,
}

/// Points per valid item of information (以奖代补).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRule {
    /// A count a grid worker earns by (有效上报, 户信息更新, 入户走访…).
    pub metric: Metric,
    /// Points per item.
    pub points: f64,
}

/// A county's assessment rules, one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRules {
    /// Increases with every change published.
    pub version: u64,
    /// The rules' title, e.g. 网格化服务管理考核办法.
    pub name: String,
    /// The items per kind of subject.
    pub sets: Vec<RuleSet>,
    /// Points per valid item for grid workers.
    #[serde(default)]
    pub points: Vec<PointRule>,
}

/// A number with at most two decimals and no trailing zeros: `32.5`, `3`, `-2.25`.
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

/// The largest weight, target or cap the rules accept.
const LIMIT: f64 = 10_000.0;

impl AssessmentRules {
    /// The items for `subject` (none when the rules do not assess it).
    pub fn items(&self, subject: Subject) -> &[RuleItem] {
        self.sets
            .iter()
            .find(|s| s.subject == subject)
            .map_or(&[], |s| s.items.as_slice())
    }

    /// Points per item for `metric`, if it earns any.
    pub fn points_for(&self, metric: Metric) -> Option<f64> {
        self.points
            .iter()
            .find(|p| p.metric == metric)
            .map(|p| p.points)
    }
}

impl ReferenceData for AssessmentRules {
    const KIND: ReferenceKind = ReferenceKind::AssessmentRules;

    fn version(&self) -> u64 {
        self.version
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.version == 0 {
            out.push("version must be at least 1".into());
        }
        if self.name.trim().is_empty() {
            out.push("the rules need a name".into());
        }
        let mut subjects = BTreeSet::new();
        let number = |v: f64| v.is_finite() && (0.0..=LIMIT).contains(&v);
        for set in &self.sets {
            let who = set.subject.as_str();
            if !subjects.insert(set.subject) {
                out.push(format!("subject {who} has two sets of items"));
            }
            let mut seen = BTreeSet::new();
            for item in &set.items {
                let m = item.metric.as_str();
                if !seen.insert(item.metric) {
                    out.push(format!("{who}: item {m} appears twice"));
                }
                if !item.metric.subjects().contains(&set.subject) {
                    out.push(format!("{who}: item {m} cannot be measured for a {who}"));
                }
                if !number(item.weight) || item.weight == 0.0 {
                    out.push(format!(
                        "{who}: item {m} needs a weight above 0 and at most {LIMIT}"
                    ));
                }
                let deduction = item.metric.kind() == MetricKind::Deduction;
                match item.target {
                    None if !deduction => out.push(format!("{who}: item {m} needs a target")),
                    Some(t) if !deduction && (!number(t) || t == 0.0) => out.push(format!(
                        "{who}: item {m} needs a target above 0 and at most {LIMIT}"
                    )),
                    Some(t) if item.metric.is_rate() && t > 1.0 => out.push(format!(
                        "{who}: item {m} is a rate; its target is at most 1 (e.g. 0.9 for 90%)"
                    )),
                    _ => {}
                }
                if let Some(c) = item.cap
                    && (!number(c) || c == 0.0)
                {
                    out.push(format!(
                        "{who}: item {m} needs a cap above 0 and at most {LIMIT}"
                    ));
                }
            }
        }
        let mut paid = BTreeSet::new();
        for p in &self.points {
            let m = p.metric.as_str();
            if !paid.insert(p.metric) {
                out.push(format!("points: {m} appears twice"));
            }
            if p.metric.kind() != MetricKind::Count
                || !p.metric.subjects().contains(&Subject::Worker)
            {
                out.push(format!(
                    "points: {m} is not a count of a grid worker's items"
                ));
            }
            if !number(p.points) || p.points == 0.0 {
                out.push(format!(
                    "points: {m} needs points above 0 and at most {LIMIT}"
                ));
            }
        }
        out
    }
}

/// The example rules shipped with Fieldgrid (`core/forms/assessment-rules.json`),
/// in force until a county publishes its own.
pub fn default_rules() -> AssessmentRules {
    serde_json::from_str(include_str!("../../forms/assessment-rules.json"))
        .expect("core/forms/assessment-rules.json is checked by the assessment tests")
}
