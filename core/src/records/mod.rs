//! The record types kept as Automerge documents: plain serde types. What each
//! derives into the query tables is the `index` module's business.

mod household;
mod incident;
mod patrol_log;
mod values;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use household::{Household, HouseholdMember, Person, RecordStatus, Visit};
pub use incident::{
    Channel, Grade, Incident, IncidentTransition, JointPart, ResidentContact, Satisfaction, Urge,
    UrgeMethod, Urgency,
};
pub use patrol_log::{BreakKind, PatrolEntry, PatrolEntryKind, PatrolLog, TrackBreak, TravelMode};
pub use values::{FieldValue, FormValues, GeoPoint};

pub use crate::kind::RecordKind;

/// A typed record stored as one Automerge document.
///
/// The struct's serde form is the document's shape: maps become Automerge maps,
/// sequences lists, and every other value a scalar that merges field by field.
pub trait Record: Serialize + DeserializeOwned + Clone {
    /// Which kind of record this is.
    const KIND: RecordKind;

    /// The grid the record belongs to; decides who may see it.
    fn grid_code(&self) -> &str;

    /// A short label for lists and search results.
    fn title(&self) -> String;

    /// The text that full-text search looks into.
    fn search_text(&self) -> String;

    /// The other records and the photos this record names. A server checks that
    /// each one a push adds lies in the pusher's area.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }

    /// Who the record says acted, keyed by what they did (`("visit:ID", person)`,
    /// `("reporter", person)`...). A server checks that each claim a push adds names
    /// the pusher.
    fn claims(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Something a record names that lives elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reference {
    /// Another record, by id (a household's member, a person's household, an
    /// incident's resident).
    Record(String),
    /// A photo, by content hash (an incident's or a visit's photos, a photo field).
    Photo(String),
}

/// The photo hashes among a form's answers (photo fields hold content hashes).
pub(crate) fn photo_answers<'a>(
    fields: impl IntoIterator<Item = &'a FieldValue>,
) -> impl Iterator<Item = Reference> {
    fn walk(v: &FieldValue, out: &mut Vec<Reference>) {
        match v {
            FieldValue::Choices(c) => out.extend(
                c.iter()
                    .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(|h| Reference::Photo(h.clone())),
            ),
            FieldValue::Rows(rows) => rows
                .iter()
                .flat_map(|r| r.values())
                .for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    fields.into_iter().for_each(|v| walk(v, &mut out));
    out.into_iter()
}

/// A record whose answers the form engine reads and writes. Some form fields are
/// kept as the record's own properties (a household's head and address, a person's
/// name and ID-card number); this maps them.
pub trait FormRecord: Record {
    /// Every answer by `module.field` key, the mapped properties included.
    fn form_values(&self) -> FormValues;
    /// Sets (or with `None` clears) one answer.
    fn put_form_value(&mut self, key: &str, value: Option<FieldValue>);
    /// The form version the record was saved with, and whether it is complete.
    fn form_state(&mut self) -> (&mut Option<u32>, &mut bool);
    /// Where the answer under `key` lives in the document (map keys from the root).
    fn field_path(key: &str) -> Vec<String> {
        vec!["fields".to_owned(), key.to_owned()]
    }
}
