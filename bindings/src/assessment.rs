//! The grid worker's own scorecard and points (考核、以奖代补) for the phone's
//! screens: fetched from the server, kept for reading offline, every value
//! already written for a person to read.

use std::sync::Arc;

use fieldgrid_core::assessment::{Period, PeriodKind, ScoreItem};
use fieldgrid_core::protocol::MyScorecard;
use fieldgrid_core::sync::SyncClient;

use crate::error::{ApiError, ApiResult};
use crate::store::FieldGrid;

/// One item of the card.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScoreItemInfo {
    /// The item's code (`patrol_hours`, `reports_valid`…).
    pub metric: String,
    /// Its Chinese name.
    pub name: String,
    /// The measured value as a person reads it (`32.5小时`, `85.0%`, `—`).
    pub value_text: String,
    /// The period's target as a person reads it.
    pub target_text: String,
    /// Points for meeting the target (for a deduction, points off each time).
    pub weight: f64,
    /// Points earned or taken off; `None` when the item had nothing to measure.
    pub score: Option<f64>,
    /// How the score was reached.
    pub explain: String,
    /// How many records it counted.
    pub records: u32,
}

/// A points adjustment, attributed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PointAdjustmentInfo {
    /// When, unix seconds.
    pub at: i64,
    /// Points added (negative: taken off).
    pub points: f64,
    /// Why.
    pub reason: String,
    /// Who adjusted them (their name).
    pub by_name: String,
}

/// The signed-in worker's card and points for one period.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScorecardInfo {
    /// The period's code (`2026-11`).
    pub period: String,
    /// The period in Chinese (`2026年11月`).
    pub period_label: String,
    /// The total score.
    pub total: f64,
    /// The rules' version.
    pub rules_version: u64,
    /// The items.
    pub items: Vec<ScoreItemInfo>,
    /// Points earned from records.
    pub points_earned: f64,
    /// Points adjusted by the command centre.
    pub points_adjusted: f64,
    /// earned + adjusted.
    pub points_total: f64,
    /// The adjustments, oldest first.
    pub adjustments: Vec<PointAdjustmentInfo>,
}

fn item(i: &ScoreItem) -> ScoreItemInfo {
    ScoreItemInfo {
        metric: i.metric.as_str().into(),
        name: i.name.clone(),
        value_text: i.metric.show(i.value),
        target_text: i.metric.show(i.target),
        weight: i.weight,
        score: i.score,
        explain: i.explain.clone(),
        records: i.records.len() as u32,
    }
}

fn period_of(code: &str) -> ApiResult<Period> {
    if code.trim().is_empty() {
        return Ok(Period::containing(PeriodKind::Month, crate::store::now_s()));
    }
    Period::parse(code).map_err(|_| ApiError::Invalid {
        detail: "考核期格式不对：例如 2026-11（月）、2026-W48（周）、2026-Q4（季）".into(),
    })
}

impl FieldGrid {
    fn card_info(&self, card: MyScorecard) -> ScorecardInfo {
        let name = |id: &str| {
            self.store
                .staff_name(id)
                .ok()
                .flatten()
                .unwrap_or_else(|| "指挥中心".into())
        };
        ScorecardInfo {
            period: card.scorecard.period.to_string(),
            period_label: card.scorecard.period.label_zh(),
            total: card.scorecard.total,
            rules_version: card.scorecard.rules_version,
            items: card.scorecard.items.iter().map(item).collect(),
            points_earned: card.points.earned,
            points_adjusted: card.points.adjusted,
            points_total: card.points.total,
            adjustments: card
                .points
                .adjustments
                .iter()
                .map(|a| PointAdjustmentInfo {
                    at: a.at,
                    points: a.points,
                    reason: a.reason.clone(),
                    by_name: name(&a.by),
                })
                .collect(),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldGrid {
    /// The signed-in worker's scorecard and points for `period` (`2026-11`,
    /// `2026-W48`, `2026-Q4`, or empty for this month), from the server; kept on
    /// the phone for [`FieldGrid::cached_scorecard`].
    pub async fn my_scorecard(
        self: Arc<Self>,
        server_url: String,
        token: String,
        period: String,
    ) -> ApiResult<ScorecardInfo> {
        let period = period_of(&period)?;
        let client = SyncClient::new(&server_url, &token, env!("CARGO_PKG_VERSION"))?;
        let card = client.my_scorecard(&self.store, &period).await?;
        Ok(self.card_info(card))
    }
}

#[uniffi::export]
impl FieldGrid {
    /// The card last fetched for `period` (empty: this month), for reading with
    /// no signal; `None` when it was never fetched.
    pub fn cached_scorecard(&self, period: String) -> ApiResult<Option<ScorecardInfo>> {
        let period = period_of(&period)?;
        Ok(self
            .store
            .cached_scorecard(&period.to_string())?
            .map(|c| self.card_info(c)))
    }
}
