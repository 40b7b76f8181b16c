//! Door visits (入户走访): who came, when, where, why, what was found, photos, and
//! whether someone must follow up. Visits live in the household's document as an
//! append-only list, so two cadres' visits made offline both survive the merge.

use crate::records::GeoPoint;

/// Why a visit was made.
pub const VISIT_PURPOSES: &[&str] = &[
    "routine",      // 日常走访
    "info_update",  // 信息采集更新
    "assistance",   // 帮扶慰问
    "dispute",      // 矛盾调解
    "safety_check", // 安全检查
    "policy",       // 政策宣传
    "health",       // 健康随访
    "other",
];

pub use crate::records::Visit;

/// What a cadre enters for a visit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewVisit {
    /// When; `None` for now.
    pub at: Option<i64>,
    /// Where the phone was.
    pub location: Option<GeoPoint>,
    /// Why (one of [`VISIT_PURPOSES`]).
    pub purpose: String,
    /// What was found or done.
    pub notes: String,
    /// Photos already added to the store ([`crate::FieldStore::add_photo`]).
    pub photos: Vec<String>,
    /// Someone must come back.
    pub follow_up: bool,
    /// What the follow-up is about.
    pub follow_up_note: Option<String>,
}

/// Clock skew tolerated for a visit time ahead of the phone's clock.
pub(crate) const FUTURE_SLACK_S: i64 = 600;
/// Longest notes kept.
pub(crate) const MAX_NOTES: usize = 4000;
