//! Home visits (走访) recorded on households.

use rusqlite::params;

use super::FieldStore;
use crate::error::{Error, Result};
use crate::household::visits::{FUTURE_SLACK_S, MAX_NOTES};
use crate::household::{NewVisit, VISIT_PURPOSES, Visit};
use crate::records::Household;

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
