//! Scores from measures under the rules, each item explained, and the points
//! ledger of 以奖代补.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::measure::Measure;
use super::period::Period;
use super::rules::{AssessmentRules, Metric, MetricKind, Subject};

/// One item of a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreItem {
    /// What it measures.
    pub metric: Metric,
    /// Its Chinese name.
    pub name: String,
    /// The measured value (`None`: nothing to measure; the item does not count).
    pub value: Option<f64>,
    /// For a rate, its numerator; else the count.
    pub hits: u64,
    /// For a rate, its denominator.
    pub of: Option<u64>,
    /// The target for this period (a count's target scaled to the period's days).
    pub target: Option<f64>,
    /// The rule's weight (for a deduction, points off per occurrence).
    pub weight: f64,
    /// Points earned, or taken off (negative); `None` when the item does not count.
    pub score: Option<f64>,
    /// How the score was reached, in Chinese.
    pub explain: String,
    /// The records counted.
    pub records: Vec<String>,
}

/// A subject's score over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// What kind of subject.
    pub subject: Subject,
    /// Its id: a staff id, grid or unit code.
    pub id: String,
    /// Its Chinese name.
    pub name: String,
    /// The period.
    pub period: Period,
    /// The version of the rules applied.
    pub rules_version: u64,
    /// The items, in the rules' order.
    pub items: Vec<ScoreItem>,
    /// The total: the items that count, scaled up to the full weight when some
    /// items had nothing to measure, less the deductions; never below 0.
    pub total: f64,
}

fn round2(v: f64) -> f64 {
    // (+ 0.0 turns -0 into 0.)
    (v * 100.0).round() / 100.0 + 0.0
}

fn show(metric: Metric, v: f64) -> String {
    metric.show(Some(v))
}

/// Scores `measures` under the rules for `subject` over `period`.
pub fn score(
    rules: &AssessmentRules,
    subject: Subject,
    (id, name): (&str, &str),
    period: Period,
    measures: &BTreeMap<Metric, Measure>,
) -> Scorecard {
    let scale = f64::from(period.days()) / 30.0;
    let mut items = Vec::new();
    let (mut earned, mut possible, mut full, mut off) = (0.0, 0.0, 0.0, 0.0);
    for rule in rules.items(subject) {
        let m = measures.get(&rule.metric).cloned().unwrap_or_default();
        let kind = rule.metric.kind();
        let cap = rule.cap;
        let (target, score, explain) = match (kind, m.value) {
            (MetricKind::Deduction, _) => {
                let raw = rule.weight * m.hits as f64;
                let taken = cap.map_or(raw, |c| raw.min(c));
                let explain = format!(
                    "{} 次 × 每次扣 {} 分{}，扣 {} 分",
                    m.hits,
                    rule.weight,
                    cap.map_or(String::new(), |c| format!("（最多扣 {c} 分）")),
                    round2(taken)
                );
                (
                    None,
                    Some(if taken > 0.0 { -round2(taken) } else { 0.0 }),
                    explain,
                )
            }
            (_, None) => {
                full += rule.weight;
                (
                    rule.target,
                    None,
                    "本期无可计数据，不计入（按适用项折算总分）".to_owned(),
                )
            }
            (_, Some(value)) => {
                let target = rule.target.unwrap_or(1.0)
                    * if kind == MetricKind::Count {
                        scale
                    } else {
                        1.0
                    };
                let cap = cap.unwrap_or(1.0);
                let ratio = if target > 0.0 { value / target } else { 0.0 };
                let s = round2(rule.weight * ratio.min(cap));
                full += rule.weight;
                possible += rule.weight;
                earned += s;
                let explain = format!(
                    "实际 {} ÷ 目标 {} × {} 分{} = {} 分",
                    show(rule.metric, value),
                    show(rule.metric, round2(target)),
                    rule.weight,
                    if ratio > cap {
                        format!("（封顶 {cap} 倍）")
                    } else {
                        String::new()
                    },
                    s
                );
                (Some(round2(target)), Some(s), explain)
            }
        };
        if let Some(s) = score
            && s < 0.0
        {
            off += s;
        }
        items.push(ScoreItem {
            metric: rule.metric,
            name: rule.metric.name_zh().to_owned(),
            value: m.value.map(round2_value(rule.metric)),
            hits: m.hits,
            of: m.of,
            target,
            weight: rule.weight,
            score,
            explain,
            records: m.records,
        });
    }
    let base = if possible > 0.0 {
        earned * full / possible
    } else {
        0.0
    };
    Scorecard {
        subject,
        id: id.to_owned(),
        name: name.to_owned(),
        period,
        rules_version: rules.version,
        items,
        total: round2((base + off).max(0.0)),
    }
}

fn round2_value(metric: Metric) -> impl Fn(f64) -> f64 {
    move |v| {
        if metric.is_rate() {
            (v * 10_000.0).round() / 10_000.0
        } else {
            round2(v)
        }
    }
}

/// One line of the points ledger earned from a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointEntry {
    /// What earned it.
    pub metric: Metric,
    /// The record (incident, household or person id).
    pub record: String,
    /// Points.
    pub points: f64,
}

/// A supervisor's adjustment of someone's points, with who and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointAdjustment {
    /// Whose points.
    pub staff: String,
    /// When, unix seconds.
    pub at: i64,
    /// Points added (negative: taken off).
    pub points: f64,
    /// Why.
    pub reason: String,
    /// Who adjusted (staff id or page user).
    pub by: String,
}

/// A grid worker's points over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointsLedger {
    /// Whose.
    pub staff: String,
    /// The period.
    pub period: Period,
    /// Earned per record.
    pub entries: Vec<PointEntry>,
    /// Adjustments made in the period.
    pub adjustments: Vec<PointAdjustment>,
    /// Sum of the entries.
    pub earned: f64,
    /// Sum of the adjustments.
    pub adjusted: f64,
    /// earned + adjusted.
    pub total: f64,
}

/// The points `measures` earn under the rules, plus `adjustments`.
pub fn points_ledger(
    rules: &AssessmentRules,
    staff: &str,
    period: Period,
    measures: &BTreeMap<Metric, Measure>,
    adjustments: Vec<PointAdjustment>,
) -> PointsLedger {
    let mut entries = Vec::new();
    for rule in &rules.points {
        if let Some(m) = measures.get(&rule.metric) {
            entries.extend(m.records.iter().map(|r| PointEntry {
                metric: rule.metric,
                record: r.clone(),
                points: rule.points,
            }));
        }
    }
    let earned = round2(entries.iter().map(|e| e.points).sum());
    let adjusted = round2(adjustments.iter().map(|a| a.points).sum());
    PointsLedger {
        staff: staff.to_owned(),
        period,
        entries,
        adjustments,
        earned,
        adjusted,
        total: round2(earned + adjusted),
    }
}
