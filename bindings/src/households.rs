//! Households, persons, forms, visits and door plates for the app.

use fieldgrid_core::household::{HouseholdQuery, NewVisit};
use fieldgrid_core::records::{GeoPoint, Household, Person, RecordKind};

use crate::error::{ApiError, ApiResult};
use crate::store::FieldGrid;
use crate::types::*;

/// What a save through the form did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SaveOutcome {
    /// Record id.
    pub id: String,
    /// Problems left (a draft may have some).
    pub problems: Vec<FieldProblemInfo>,
    /// Marked complete.
    pub complete: bool,
    /// Answers cleared because the save hid their question.
    pub cleared: Vec<String>,
    /// Worth a look, blocking nothing (the same ID-card number on another person).
    pub warnings: Vec<FieldProblemInfo>,
}

impl From<fieldgrid_core::household::FormOutcome> for SaveOutcome {
    fn from(o: fieldgrid_core::household::FormOutcome) -> Self {
        SaveOutcome {
            id: o.id,
            problems: o.problems.into_iter().map(Into::into).collect(),
            complete: o.complete,
            cleared: o.cleared,
            warnings: o.warnings.into_iter().map(Into::into).collect(),
        }
    }
}

/// A household with its answers.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdDetail {
    /// Record id.
    pub id: String,
    /// Grid.
    pub grid_code: String,
    /// Head of household.
    pub head_name: String,
    /// Address.
    pub address: String,
    /// Door-plate code.
    pub door_plate: Option<String>,
    /// Members: person ids.
    pub members: Vec<String>,
    /// Every answer.
    pub answers: Vec<FieldEntry>,
    /// Marked complete.
    pub complete: bool,
    /// Visits recorded.
    pub visits: u32,
}

/// A person with their answers.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonDetail {
    /// Record id.
    pub id: String,
    /// Grid.
    pub grid_code: String,
    /// Name.
    pub name: String,
    /// Household.
    pub household_id: Option<String>,
    /// Every answer (the ID-card number included, for the form screen only).
    pub answers: Vec<FieldEntry>,
    /// Marked complete.
    pub complete: bool,
    /// `active`, `moved_away`, `deceased`.
    pub status: String,
}

/// One household in a list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdRow {
    /// Record id.
    pub id: String,
    /// Grid.
    pub grid_code: String,
    /// Head.
    pub head_name: String,
    /// Address.
    pub address: String,
    /// Problems against the form.
    pub problems: u32,
    /// Complete.
    pub complete: bool,
    /// Last visit (unix seconds).
    pub last_visit_at: Option<i64>,
}

/// Filters of the household list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdFilter {
    /// Only these grids (empty: all on the phone).
    pub grids: Vec<String>,
    /// Filter fields, each `key=code` (e.g. `income.low_income=yes`).
    pub filters: Vec<String>,
    /// Only records with problems.
    pub with_problems: bool,
    /// Only households not visited in this many days.
    pub not_visited_days: Option<u32>,
    /// Page size (0: 500).
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// A visit as the cadre enters it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitInput {
    /// Why (`routine`, `info_update`, `assistance`, ...).
    pub purpose: String,
    /// What was found or done.
    pub notes: String,
    /// Where the phone was.
    pub lat: Option<f64>,
    /// Where the phone was.
    pub lon: Option<f64>,
    /// Photos already added.
    pub photos: Vec<String>,
    /// Someone must come back.
    pub follow_up: bool,
}

/// A visit in a household's timeline.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitRow {
    /// When (unix seconds).
    pub at: i64,
    /// Who.
    pub by: String,
    /// Why.
    pub purpose: String,
    /// Notes.
    pub notes: String,
    /// Photo hashes.
    pub photos: Vec<String>,
    /// Follow-up needed.
    pub follow_up: bool,
}

impl From<fieldgrid_core::household::Visit> for VisitRow {
    fn from(v: fieldgrid_core::household::Visit) -> Self {
        VisitRow {
            at: v.at,
            by: v.by,
            purpose: v.purpose,
            notes: v.notes,
            photos: v.photos,
            follow_up: v.follow_up,
        }
    }
}

fn save_list(entries: Vec<FieldEntry>) -> ApiResult<fieldgrid_core::forms::FormValues> {
    Ok(values_from(entries)?
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

#[uniffi::export]
impl FieldGrid {
    /// The form in force for households or persons, as JSON (modules, sections,
    /// fields, choices, skip logic), for the app's form screens.
    pub fn form_json(&self, kind: FormKind) -> ApiResult<String> {
        let form = self.store.form(kind.into())?;
        serde_json::to_string(&form.definition).map_err(|e| ApiError::Internal {
            detail: e.to_string(),
        })
    }

    /// Creates a household through the house form.
    pub fn new_household(
        &self,
        grid_code: String,
        answers: Vec<FieldEntry>,
    ) -> ApiResult<SaveOutcome> {
        Ok(self
            .store
            .new_household(&grid_code, save_list(answers)?)?
            .into())
    }

    /// Creates a person through the person form, optionally in a household with a
    /// relation to its head (`head`, `spouse`, `child`, ...).
    pub fn new_person(
        &self,
        grid_code: String,
        answers: Vec<FieldEntry>,
        household_id: Option<String>,
        relation: Option<String>,
    ) -> ApiResult<SaveOutcome> {
        let member = household_id
            .as_deref()
            .map(|h| (h, relation.as_deref().unwrap_or("other")));
        Ok(self
            .store
            .new_person(&grid_code, save_list(answers)?, member)?
            .into())
    }

    /// Saves answers (a value of `None` clears one); wrong values refuse the save.
    pub fn save_fields(
        &self,
        record_id: String,
        answers: Vec<FieldEntry>,
    ) -> ApiResult<SaveOutcome> {
        Ok(self
            .store
            .save_fields(&record_id, &values_from(answers)?)?
            .into())
    }

    /// Every problem of a household or person against the form in force.
    pub fn problems(&self, record_id: String) -> ApiResult<Vec<FieldProblemInfo>> {
        Ok(self
            .store
            .form_report(&record_id)?
            .problems
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Marks a record complete ([`ApiError::Incomplete`] lists what is missing).
    pub fn mark_complete(&self, record_id: String) -> ApiResult<SaveOutcome> {
        Ok(self.store.mark_complete(&record_id)?.into())
    }

    /// A household with its answers.
    pub fn household(&self, household_id: String) -> ApiResult<HouseholdDetail> {
        use fieldgrid_core::household::FormRecord;
        let h: Household = self.store.get(&household_id)?;
        Ok(HouseholdDetail {
            id: household_id,
            answers: entries_from(h.form_values()),
            grid_code: h.grid_code,
            head_name: h.head_name,
            address: h.address,
            door_plate: h.door_plate,
            members: h.members.into_iter().map(|m| m.person_id).collect(),
            complete: h.complete,
            visits: h.visits.len() as u32,
        })
    }

    /// A person with their answers.
    pub fn person(&self, person_id: String) -> ApiResult<PersonDetail> {
        use fieldgrid_core::household::FormRecord;
        let p: Person = self.store.get(&person_id)?;
        Ok(PersonDetail {
            id: person_id,
            answers: entries_from(p.form_values()),
            grid_code: p.grid_code,
            name: p.name,
            household_id: p.household_id,
            complete: p.complete,
            status: p.status.as_str().into(),
        })
    }

    /// Households matching a filter, by address.
    pub fn list_households(&self, filter: HouseholdFilter) -> ApiResult<Vec<HouseholdRow>> {
        let mut filters = Vec::new();
        for f in filter.filters {
            let (k, v) = f.split_once('=').ok_or_else(|| ApiError::Invalid {
                detail: format!("a filter is written key=code, not {f:?}"),
            })?;
            filters.push((k.to_owned(), v.to_owned()));
        }
        let query = HouseholdQuery {
            grids: filter.grids,
            filters,
            with_problems: filter.with_problems,
            not_visited_days: filter.not_visited_days,
            limit: filter.limit,
            offset: filter.offset,
            ..Default::default()
        };
        Ok(self
            .store
            .list_households(&query)?
            .into_iter()
            .map(|h| HouseholdRow {
                id: h.id,
                grid_code: h.grid_code,
                head_name: h.head_name,
                address: h.address,
                problems: h.problems,
                complete: h.complete,
                last_visit_at: h.last_visit_at,
            })
            .collect())
    }

    /// The cadre's search box: an ID-card or phone number exactly, else names
    /// and addresses.
    pub fn find_residents(
        &self,
        text: String,
        grids: Vec<String>,
        limit: u32,
    ) -> ApiResult<Vec<crate::SearchResult>> {
        Ok(self
            .store
            .find_residents(&text, &grids, limit as usize)?
            .into_iter()
            .map(|f| crate::SearchResult {
                id: f.id,
                kind: f.kind.as_str().into(),
                title: f.title,
                grid_code: f.grid_code,
            })
            .collect())
    }

    /// Moves a person to another household.
    pub fn move_person(
        &self,
        person_id: String,
        to_household: String,
        relation: String,
    ) -> ApiResult<()> {
        Ok(self
            .store
            .move_person(&person_id, &to_household, &relation)?)
    }

    /// Marks a household or person inactive (or active again); nothing is deleted.
    pub fn set_status(&self, record_id: String, status: StatusInfo) -> ApiResult<()> {
        Ok(self.store.set_record_status(&record_id, status.into())?)
    }

    /// Records a visit on a household by the signed-in cadre.
    pub fn record_visit(&self, household_id: String, visit: VisitInput) -> ApiResult<VisitRow> {
        let location = match (visit.lat, visit.lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
            _ => None,
        };
        let v = self.store.record_visit(
            &household_id,
            NewVisit {
                at: None,
                location,
                purpose: visit.purpose,
                notes: visit.notes,
                photos: visit.photos,
                follow_up: visit.follow_up,
                follow_up_note: None,
            },
        )?;
        Ok(v.into())
    }

    /// A household's visits, newest first.
    pub fn visits_of(&self, household_id: String) -> ApiResult<Vec<VisitRow>> {
        Ok(self
            .store
            .visits_of(&household_id)?
            .into_iter()
            .map(VisitRow::from)
            .collect())
    }

    /// The QR payload of a household's door plate.
    pub fn door_plate_payload(&self, household_id: String) -> ApiResult<String> {
        Ok(self.store.door_plate_payload(&household_id)?)
    }

    /// Opens a scanned door plate: the household's id.
    pub fn resolve_door_plate(&self, payload: String) -> ApiResult<String> {
        Ok(self.store.resolve_door_plate(&payload)?)
    }

    /// Whether a record is a household or a person (`None` for other kinds).
    pub fn form_kind_of(&self, record_id: String) -> ApiResult<Option<FormKind>> {
        Ok(match self.store.kind_of(&record_id)? {
            RecordKind::Household => Some(FormKind::Household),
            RecordKind::Person => Some(FormKind::Person),
            _ => None,
        })
    }
}
