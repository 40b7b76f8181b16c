//! Households (户) and the persons (人员) who live in them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FieldValue, GeoPoint, Record, RecordKind, Reference};
use super::{FormRecord, FormValues};

/// Whether a household or person is still current. Records are never deleted:
/// an inactive record keeps its whole history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Current.
    #[default]
    Active,
    /// Moved out of the grid.
    MovedAway,
    /// The person has died.
    Deceased,
    /// The house no longer stands or the household dissolved.
    Dissolved,
}

impl RecordStatus {
    /// The name stored in query tables.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Active => "active",
            RecordStatus::MovedAway => "moved_away",
            RecordStatus::Deceased => "deceased",
            RecordStatus::Dissolved => "dissolved",
        }
    }
}

/// A person's place in a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    /// The person record's id.
    pub person_id: String,
    /// Relation to the head of household (户主), e.g. `self`, `spouse`, `child`.
    pub relation: String,
}

/// A household and its house record (房屋信息, about 145 fields in 6 modules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// The grid the house stands in.
    pub grid_code: String,
    /// Postal address as written on the door plate.
    pub address: String,
    /// Name of the head of household (户主).
    pub head_name: String,
    /// The code on the QR door plate (智慧门牌), when one is mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub door_plate: Option<String>,
    /// Where the house is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Whether the household is current.
    #[serde(default)]
    pub status: RecordStatus,
    /// The people of the household.
    #[serde(default)]
    pub members: Vec<HouseholdMember>,
    /// Form answers keyed `module.field` (e.g. `income.annual_total`).
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValue>,
    /// The version of the house form the record was last saved with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_version: Option<u32>,
    /// Marked complete by a cadre (only possible without problems).
    #[serde(default)]
    pub complete: bool,
    /// Door visits (入户走访), in the order recorded. Always present (also when
    /// empty) so that two cadres' first visits append to the same list.
    #[serde(default)]
    pub visits: Vec<Visit>,
}

impl Household {
    /// A new active household with no members or form answers yet.
    pub fn new(grid_code: &str, address: &str, head_name: &str) -> Self {
        Household {
            grid_code: grid_code.to_owned(),
            address: address.to_owned(),
            head_name: head_name.to_owned(),
            door_plate: None,
            location: None,
            status: RecordStatus::Active,
            members: Vec::new(),
            fields: BTreeMap::new(),
            form_version: None,
            complete: false,
            visits: Vec::new(),
        }
    }
}

impl FormRecord for Household {
    fn form_values(&self) -> FormValues {
        let mut values = self.fields.clone();
        values.insert("basic.head_name".into(), self.head_name.clone().into());
        values.insert("basic.address".into(), self.address.clone().into());
        if let Some(p) = self.location {
            values.insert("basic.location".into(), FieldValue::Point(p));
        }
        values
    }

    fn put_form_value(&mut self, key: &str, value: Option<FieldValue>) {
        let text = |v: Option<FieldValue>| match v {
            Some(FieldValue::Text(s)) => s,
            _ => String::new(),
        };
        match key {
            "basic.head_name" => self.head_name = text(value),
            "basic.address" => self.address = text(value),
            "basic.location" => {
                self.location = match value {
                    Some(FieldValue::Point(p)) => Some(p),
                    _ => None,
                }
            }
            _ => match value {
                Some(v) => {
                    self.fields.insert(key.to_owned(), v);
                }
                None => {
                    self.fields.remove(key);
                }
            },
        }
    }

    fn form_state(&mut self) -> (&mut Option<u32>, &mut bool) {
        (&mut self.form_version, &mut self.complete)
    }

    fn field_path(key: &str) -> Vec<String> {
        match key {
            "basic.head_name" => vec!["head_name".into()],
            "basic.address" => vec!["address".into()],
            "basic.location" => vec!["location".into()],
            _ => vec!["fields".into(), key.into()],
        }
    }
}

impl Record for Household {
    const KIND: RecordKind = RecordKind::Household;

    fn grid_code(&self) -> &str {
        &self.grid_code
    }

    fn title(&self) -> String {
        format!("{} · {}", self.head_name, self.address)
    }

    fn search_text(&self) -> String {
        // ID-card numbers and phones stay out of the index on purpose.
        let mut text = format!("{} {} {}", self.head_name, self.address, self.grid_code);
        if let Some(plate) = &self.door_plate {
            text.push(' ');
            text.push_str(plate);
        }
        text
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs: Vec<Reference> = self
            .members
            .iter()
            .map(|m| Reference::Record(m.person_id.clone()))
            .collect();
        refs.extend(
            self.visits
                .iter()
                .flat_map(|v| v.photos.iter().map(|h| Reference::Photo(h.clone()))),
        );
        refs.extend(super::photo_answers(self.fields.values()));
        refs
    }

    fn claims(&self) -> Vec<(String, String)> {
        self.visits
            .iter()
            .map(|v| (format!("visit:{}", v.id), v.by.clone()))
            .collect()
    }
}

/// A resident's record (人员信息, about 177 fields in 11 modules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// The grid the person lives in.
    pub grid_code: String,
    /// Full name.
    pub name: String,
    /// The household the person belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_id: Option<String>,
    /// ID-card number (身份证号). Personal data: never logged, never indexed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Whether the person is current.
    #[serde(default)]
    pub status: RecordStatus,
    /// Form answers keyed `module.field` (e.g. `health.chronic_disease`).
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValue>,
    /// The version of the person form the record was last saved with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_version: Option<u32>,
    /// Marked complete by a cadre (only possible without problems).
    #[serde(default)]
    pub complete: bool,
}

impl Person {
    /// A new active person record.
    pub fn new(grid_code: &str, name: &str) -> Self {
        Person {
            grid_code: grid_code.to_owned(),
            name: name.to_owned(),
            household_id: None,
            id_number: None,
            status: RecordStatus::Active,
            fields: BTreeMap::new(),
            form_version: None,
            complete: false,
        }
    }
}

impl FormRecord for Person {
    fn form_values(&self) -> FormValues {
        let mut values = self.fields.clone();
        values.insert("basic.name".into(), self.name.clone().into());
        if let Some(id) = &self.id_number {
            values.insert("basic.id_number".into(), id.clone().into());
        }
        values
    }

    fn put_form_value(&mut self, key: &str, value: Option<FieldValue>) {
        match (key, value) {
            ("basic.name", Some(FieldValue::Text(s))) => self.name = s,
            ("basic.name", _) => self.name = String::new(),
            ("basic.id_number", Some(FieldValue::Text(s))) => self.id_number = Some(s),
            ("basic.id_number", _) => self.id_number = None,
            (_, Some(v)) => {
                self.fields.insert(key.to_owned(), v);
            }
            (_, None) => {
                self.fields.remove(key);
            }
        }
    }

    fn form_state(&mut self) -> (&mut Option<u32>, &mut bool) {
        (&mut self.form_version, &mut self.complete)
    }

    fn field_path(key: &str) -> Vec<String> {
        match key {
            "basic.name" => vec!["name".into()],
            "basic.id_number" => vec!["id_number".into()],
            _ => vec!["fields".into(), key.into()],
        }
    }
}

impl Record for Person {
    const KIND: RecordKind = RecordKind::Person;

    fn grid_code(&self) -> &str {
        &self.grid_code
    }

    fn title(&self) -> String {
        self.name.clone()
    }

    fn search_text(&self) -> String {
        let address = self
            .fields
            .get("basic.current_address")
            .and_then(FieldValue::search_text)
            .unwrap_or_default();
        format!("{} {} {}", self.name, address, self.grid_code)
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs: Vec<Reference> = self
            .household_id
            .iter()
            .map(|h| Reference::Record(h.clone()))
            .collect();
        refs.extend(super::photo_answers(self.fields.values()));
        refs
    }
}

/// One visit to a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// A unique id (UUIDv7).
    pub id: String,
    /// When (unix seconds).
    pub at: i64,
    /// Who visited (staff id).
    pub by: String,
    /// Where the phone was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Why (one of [`crate::household::VISIT_PURPOSES`]).
    pub purpose: String,
    /// What was found or done.
    #[serde(default)]
    pub notes: String,
    /// Photos taken (content hashes).
    #[serde(default)]
    pub photos: Vec<String>,
    /// Someone must come back.
    #[serde(default)]
    pub follow_up: bool,
    /// What the follow-up is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_note: Option<String>,
}
