//! Households and persons as cadres keep them door to door: records filled through
//! the forms (drafts with problems, complete without), members and moves between
//! households, inactive records that keep their history, visits, door plates, and
//! the lists and lookups a cadre works from.

mod lists;
mod plate;
pub(crate) mod visits;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::Serialize;

pub use lists::{FoundRecord, HouseholdQuery, HouseholdSummary, PersonQuery, PersonSummary};
pub use plate::{PlateError, new_plate_code, parse_plate_payload, plate_link, plate_payload};
pub use visits::{NewVisit, VISIT_PURPOSES, Visit};

use crate::error::{Error, Result};
use crate::forms::{CompiledForm, FieldProblem, Severity, date_at};
use crate::records::{FieldValue, Household, HouseholdMember, RecordKind, RecordStatus};

/// Relations to the head of household (与户主关系) a member may have.
pub const RELATIONS: &[&str] = &[
    "head",
    "spouse",
    "child",
    "child_in_law",
    "grandchild",
    "parent",
    "parent_in_law",
    "grandparent",
    "sibling",
    "other",
];

pub use crate::records::FormRecord;

/// What a save through the form did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormOutcome {
    /// The record id.
    pub id: String,
    /// The record's problems after the save (a draft may have some).
    pub problems: Vec<FieldProblem>,
    /// Whether the record is marked complete.
    pub complete: bool,
    /// Fields cleared because the save made them not relevant (skip logic).
    pub cleared: Vec<String>,
    /// Calculated fields whose value the save changed.
    pub calculated: Vec<String>,
    /// Things worth a look that block nothing: the same ID-card number on another
    /// person of this store ([`Severity::Warning`]; the message never has the number).
    pub warnings: Vec<FieldProblem>,
}

/// A record checked against the form in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormReport {
    /// The record id.
    pub id: String,
    /// Its kind.
    pub kind: RecordKind,
    /// The form version it was last saved with (`None`: never saved through a form).
    pub saved_with: Option<u32>,
    /// The version of the form in force.
    pub form_version: u32,
    /// Every problem.
    pub problems: Vec<FieldProblem>,
    /// Fields holding a value that skip logic hides now.
    pub hidden: Vec<String>,
    /// Fields the form in force does not know (dropped by a newer version, or added
    /// by a newer one this device has not received); kept, not shown.
    pub unknown: Vec<String>,
    /// Whether the record is marked complete.
    pub complete: bool,
}

/// Fills a new household or person with `values` through `form`, off to the side
/// of any store (a county's bulk import, a benchmark's county): the same
/// refusals, calculations and form-version stamp as a save on the phone. Wrong
/// values are refused with every problem listed; the problems a draft still has
/// against the form come back. Store the record with [`crate::new_record`].
pub fn fill_through_form<R: FormRecord>(
    form: &CompiledForm,
    record: &mut R,
    values: crate::records::FormValues,
    at: i64,
) -> Result<Vec<FieldProblem>> {
    let changes: Vec<_> = values.into_iter().map(|(k, v)| (k, Some(v))).collect();
    Ok(apply_form(form, "(new record)", record, &changes, at)?.problems)
}

/// The result of applying changes to a record's answers.
pub(crate) struct Applied {
    /// Fields cleared because the changes hid them.
    pub cleared: Vec<String>,
    /// Calculated fields whose value changed.
    pub calculated: Vec<String>,
    /// The record's problems against the form afterwards (its one check).
    pub problems: Vec<FieldProblem>,
}

/// Applies `changes` through `form`: refuses wrong values (listing every one), then
/// recalculates, clears fields the changes hid, and stamps the form version.
pub(crate) fn apply_form<R: FormRecord>(
    form: &CompiledForm,
    id: &str,
    record: &mut R,
    changes: &[(String, Option<FieldValue>)],
    at: i64,
) -> Result<Applied> {
    let today = date_at(at);
    let before = record.form_values();
    let mut values = before.clone();
    let mut problems = Vec::new();
    for (key, value) in changes {
        let Some(field) = form.field(key) else {
            problems.push(FieldProblem {
                field: key.clone(),
                label: String::new(),
                severity: Severity::Invalid,
                message: format!(
                    "the {} form version {} has no such field",
                    form.definition.kind, form.definition.version
                ),
            });
            continue;
        };
        if field.calculate.is_some() {
            problems.push(FieldProblem {
                field: key.clone(),
                label: field.label.zh.clone(),
                severity: Severity::Invalid,
                message: "is calculated from other fields and cannot be typed in".into(),
            });
            continue;
        }
        match value
            .as_ref()
            .filter(|v| !crate::forms::validate::is_empty(v))
        {
            // An ID-card number is kept in its one normal form (full-width digits,
            // spaces and hyphens as typed are not part of it), the form it is
            // checked and looked up in.
            Some(FieldValue::Text(t))
                if matches!(field.field_type, crate::forms::FieldType::IdCard) =>
            {
                values.insert(
                    key.clone(),
                    FieldValue::Text(crate::id_checks::normalise_id_number(t)),
                )
            }
            Some(v) => values.insert(key.clone(), v.clone()),
            None => values.remove(key),
        };
    }
    for (key, _) in changes {
        if form.field(key).is_some_and(|f| f.calculate.is_none()) {
            problems.extend(
                form.check_value(key, values.get(key), &values, today)
                    .into_iter()
                    .filter(|p| p.severity == Severity::Invalid),
            );
        }
    }
    if !problems.is_empty() {
        return Err(Error::InvalidFields {
            id: id.to_owned(),
            problems,
        });
    }
    let hidden_before: BTreeSet<String> = form
        .hidden_with_values(&before, today)
        .into_iter()
        .collect();
    let mut calculated: BTreeSet<String> = form.calculate(&mut values, today).into_iter().collect();
    let mut cleared = Vec::new();
    for key in form.hidden_with_values(&values, today) {
        if !hidden_before.contains(&key) && form.field(&key).is_some_and(|f| f.calculate.is_none())
        {
            values.remove(&key);
            cleared.push(key);
        }
    }
    if !cleared.is_empty() {
        calculated.extend(form.calculate(&mut values, today));
    }
    let keys: BTreeSet<&String> = before.keys().chain(values.keys()).collect();
    for key in keys {
        if before.get(key) != values.get(key) {
            record.put_form_value(key, values.get(key).cloned());
        }
    }
    let (version, complete) = record.form_state();
    *version = Some(form.definition.version);
    let problems = form.check(&values, today);
    if *complete && !problems.is_empty() {
        *complete = false;
    }
    Ok(Applied {
        cleared,
        calculated: calculated.into_iter().collect(),
        problems,
    })
}

/// What a save through the form tells the app, from what [`apply_form`] found.
pub(crate) fn outcome<R: FormRecord>(id: String, record: &mut R, applied: Applied) -> FormOutcome {
    FormOutcome {
        id,
        problems: applied.problems,
        complete: *record.form_state().1,
        cleared: applied.cleared,
        calculated: applied.calculated,
        warnings: Vec::new(),
    }
}

pub(crate) fn check_relation(relation: &str) -> Result<()> {
    if RELATIONS.contains(&relation) {
        Ok(())
    } else {
        Err(Error::InvalidChange(format!(
            "unknown relation to the head of household {relation:?}; use one of {}",
            RELATIONS.join(", ")
        )))
    }
}

pub(crate) fn join(household: &mut Household, person_id: &str, relation: &str) -> Result<()> {
    if household.status != RecordStatus::Active {
        return Err(Error::InvalidChange(format!(
            "the household is {} and takes no new members",
            household.status.as_str()
        )));
    }
    if relation == "head" && household.members.iter().any(|m| m.relation == "head") {
        return Err(Error::InvalidChange(
            "the household has a head already; change that member's relation first".into(),
        ));
    }
    household.members.push(HouseholdMember {
        person_id: person_id.to_owned(),
        relation: relation.to_owned(),
    });
    Ok(())
}
