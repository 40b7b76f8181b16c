//! Door visits (入户走访): who came, when, where, why, what was found, photos, and
//! whether someone must follow up. Visits live in the household's document as an
//! append-only list, so two cadres' visits made offline both survive the merge.

use rusqlite::params;

use crate::error::{Error, Result};
use crate::records::{GeoPoint, Household};
use crate::store::FieldStore;

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
    /// Photos already added to the store ([`FieldStore::add_photo`]).
    pub photos: Vec<String>,
    /// Someone must come back.
    pub follow_up: bool,
    /// What the follow-up is about.
    pub follow_up_note: Option<String>,
}

/// Clock skew tolerated for a visit time ahead of the phone's clock.
const FUTURE_SLACK_S: i64 = 600;
/// Longest notes kept.
const MAX_NOTES: usize = 4000;

impl FieldStore {
    /// Records a visit on a household by the signed-in user; its photos are
    /// attached to the household. Refused (nothing stored) for an unknown purpose,
    /// an impossible place or time, overlong notes, or a photo not in the store.
    pub fn record_visit(&self, household_id: &str, visit: NewVisit) -> Result<Visit> {
        let invalid = |m: &str| {
            Err(Error::InvalidChange(format!(
                "the visit was not saved: {m}"
            )))
        };
        if !VISIT_PURPOSES.contains(&visit.purpose.as_str()) {
            return invalid(&format!(
                "unknown purpose; use one of {}",
                VISIT_PURPOSES.join(", ")
            ));
        }
        if visit.location.is_some_and(|p| !p.is_valid()) {
            return invalid("the place is not a possible GPS position");
        }
        if visit.notes.chars().count() > MAX_NOTES {
            return invalid(&format!("the notes are longer than {MAX_NOTES} characters"));
        }
        self.with_records(|rt| {
            let at = visit.at.unwrap_or(rt.at);
            if at > rt.at + FUTURE_SLACK_S || at < 946_684_800 {
                return invalid("the time is in the future or before 2000");
            }
            for hash in &visit.photos {
                let known: i64 =
                    rt.tx().query_row("SELECT count(*) FROM photos WHERE hash = ?1", [hash], |r| r.get(0))?;
                if known == 0 {
                    return invalid("a photo is not in this phone's store");
                }
                rt.tx().execute(
                    "INSERT OR IGNORE INTO photo_refs (hash, record_id, role, added_at) VALUES (?1, ?2, 'visit', ?3)",
                    params![hash, household_id, rt.at],
                )?;
            }
            let entry = Visit {
                id: uuid::Uuid::now_v7().to_string(),
                at,
                by: rt.user().to_owned(),
                location: visit.location,
                purpose: visit.purpose.clone(),
                notes: visit.notes.clone(),
                photos: visit.photos.clone(),
                follow_up: visit.follow_up,
                follow_up_note: visit.follow_up_note.clone(),
            };
            rt.update(household_id, |h: &mut Household| {
                h.visits.push(entry.clone());
                Ok(())
            })?;
            Ok(entry)
        })
    }

    /// A household's visits, newest first: its timeline.
    pub fn visits_of(&self, household_id: &str) -> Result<Vec<Visit>> {
        let house: Household = self.get(household_id)?;
        let mut visits = house.visits;
        visits.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
        Ok(visits)
    }
}
