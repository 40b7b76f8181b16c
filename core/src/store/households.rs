//! Households and persons through their forms: creating, saving answers,
//! completing, members and moves, status, and importing a form pack.

use super::FieldStore;
use super::records::RecordTx;
use crate::error::{Error, Result};
use rusqlite::OptionalExtension;

use crate::forms::{
    CompiledForm, FORMS, FieldProblem, FormPack, FormValues, Severity, current_form, date_at,
};
use crate::household::{
    Applied, FormOutcome, FormRecord, FormReport, apply_form, check_relation, join, new_plate_code,
    outcome,
};
use crate::index::{self, Checked};
use crate::org::ImportOutcome;
use crate::records::{FieldValue, Household, Person, RecordKind, RecordStatus};

impl FieldStore {
    /// Creates a household through the house form: `values` are answers by key
    /// (`basic.head_name` and `basic.address` among them). A door-plate code is
    /// assigned. Wrong values refuse the save; missing answers leave a draft.
    pub fn new_household(&self, grid_code: &str, values: FormValues) -> Result<FormOutcome> {
        self.with_records(|rt| {
            check_grid(rt, grid_code)?;
            let form = form_for(rt, RecordKind::Household)?;
            let mut house = Household::new(grid_code, "", "");
            house.door_plate = Some(new_plate_code());
            let changes: Vec<_> = values.into_iter().map(|(k, v)| (k, Some(v))).collect();
            let applied = apply_form(&form, "(new household)", &mut house, &changes, rt.at)?;
            let id = rt.create(&house, Some(checked(&form, &applied)))?;
            Ok(outcome(id, &mut house, applied))
        })
    }

    /// Creates a person through the person form, optionally as a member of a
    /// household with a relation to its head (see [`crate::household::RELATIONS`]).
    pub fn new_person(
        &self,
        grid_code: &str,
        values: FormValues,
        member_of: Option<(&str, &str)>,
    ) -> Result<FormOutcome> {
        self.with_records(|rt| {
            check_grid(rt, grid_code)?;
            let form = form_for(rt, RecordKind::Person)?;
            let mut person = Person::new(grid_code, "");
            let changes: Vec<_> = values.into_iter().map(|(k, v)| (k, Some(v))).collect();
            let applied = apply_form(&form, "(new person)", &mut person, &changes, rt.at)?;
            if let Some((household, _)) = member_of {
                person.household_id = Some(household.to_owned());
            }
            let id = rt.create(&person, Some(checked(&form, &applied)))?;
            if let Some((household, relation)) = member_of {
                check_relation(relation)?;
                rt.update(household, |h: &mut Household| join(h, &id, relation))?;
            }
            let mut out = outcome(id, &mut person, applied);
            out.warnings
                .extend(duplicate_warning(rt, &out.id, &person.form_values())?);
            Ok(out)
        })
    }

    /// Saves answers of a household or person (`None` clears one). Every wrong
    /// value is listed in [`Error::InvalidFields`] and nothing is saved; otherwise
    /// calculations are redone, fields the change hid are cleared, and the record
    /// drops back to draft if it was complete and now has problems.
    pub fn save_fields(
        &self,
        id: &str,
        changes: &[(String, Option<FieldValue>)],
    ) -> Result<FormOutcome> {
        match self.kind_of(id)? {
            RecordKind::Household => self.save_fields_of::<Household>(id, changes),
            RecordKind::Person => self.save_fields_of::<Person>(id, changes),
            other => Err(Error::WrongKind {
                id: id.to_owned(),
                expected: RecordKind::Household,
                actual: other,
            }),
        }
    }

    fn save_fields_of<R: FormRecord>(
        &self,
        id: &str,
        changes: &[(String, Option<FieldValue>)],
    ) -> Result<FormOutcome> {
        self.with_records(|rt| {
            let form = form_for(rt, R::KIND)?;
            // Saving the value a conflicted field shows must settle the conflict.
            let settle: Vec<Vec<String>> = changes.iter().map(|(k, _)| R::field_path(k)).collect();
            let (mut record, applied) = rt.update_checked(
                id,
                &settle,
                &form,
                |r: &mut R| apply_form(&form, id, r, changes, rt.at),
                |applied| applied.problems.len(),
            )?;
            let mut out = outcome(id.to_owned(), &mut record, applied);
            if R::KIND == RecordKind::Person {
                out.warnings
                    .extend(duplicate_warning(rt, id, &record.form_values())?);
            }
            Ok(out)
        })
    }

    /// Checks a household or person against the form in force.
    pub fn form_report(&self, id: &str) -> Result<FormReport> {
        let kind = self.kind_of(id)?;
        let (values, saved_with, complete) = match kind {
            RecordKind::Household => {
                let h: Household = self.get(id)?;
                (h.form_values(), h.form_version, h.complete)
            }
            RecordKind::Person => {
                let p: Person = self.get(id)?;
                (p.form_values(), p.form_version, p.complete)
            }
            other => {
                return Err(Error::WrongKind {
                    id: id.to_owned(),
                    expected: RecordKind::Household,
                    actual: other,
                });
            }
        };
        let form = self.form(kind)?;
        let today = date_at(crate::time::now());
        let repeat_sub = |k: &str| form.field(k).is_some();
        Ok(FormReport {
            id: id.to_owned(),
            kind,
            saved_with,
            form_version: form.definition.version,
            problems: form.check(&values, today),
            hidden: form.hidden_with_values(&values, today),
            unknown: values.keys().filter(|k| !repeat_sub(k)).cloned().collect(),
            complete,
        })
    }

    /// Marks a household or person complete; refused with every open problem
    /// ([`Error::Incomplete`]) unless it has none.
    pub fn mark_complete(&self, id: &str) -> Result<FormOutcome> {
        match self.kind_of(id)? {
            RecordKind::Household => self.mark_complete_of::<Household>(id),
            RecordKind::Person => self.mark_complete_of::<Person>(id),
            other => Err(Error::WrongKind {
                id: id.to_owned(),
                expected: RecordKind::Household,
                actual: other,
            }),
        }
    }

    fn mark_complete_of<R: FormRecord>(&self, id: &str) -> Result<FormOutcome> {
        self.with_records(|rt| {
            let form = form_for(rt, R::KIND)?;
            let today = date_at(rt.at);
            let mark = |r: &mut R| {
                let problems = form.check(&r.form_values(), today);
                if !problems.is_empty() {
                    return Err(Error::Incomplete {
                        id: id.to_owned(),
                        problems,
                    });
                }
                let (version, complete) = r.form_state();
                *version = Some(form.definition.version);
                *complete = true;
                Ok(())
            };
            // Only a record without problems is marked complete.
            let (mut record, ()) = rt.update_checked(id, &[], &form, mark, |_| 0)?;
            let applied = Applied {
                cleared: vec![],
                calculated: vec![],
                problems: vec![],
            };
            Ok(outcome(id.to_owned(), &mut record, applied))
        })
    }

    /// Makes a person who belongs to no household a member of one.
    pub fn add_member(&self, household_id: &str, person_id: &str, relation: &str) -> Result<()> {
        check_relation(relation)?;
        self.with_records(|rt| {
            let person: Person = rt.get(person_id)?;
            if person.household_id.is_some() {
                return Err(Error::InvalidChange(
                    "the person belongs to a household already; move them instead".into(),
                ));
            }
            rt.update(household_id, |h: &mut Household| {
                join(h, person_id, relation)
            })?;
            rt.update(person_id, |p: &mut Person| {
                p.household_id = Some(household_id.to_owned());
                Ok(())
            })?;
            Ok(())
        })
    }

    /// Moves a person to another household (e.g. after a marriage), in one
    /// transaction: out of the old household's members, into the new one's, and
    /// into the new household's grid. Both households keep the history.
    pub fn move_person(&self, person_id: &str, to_household: &str, relation: &str) -> Result<()> {
        check_relation(relation)?;
        self.with_records(|rt| {
            let person: Person = rt.get(person_id)?;
            if person.household_id.as_deref() == Some(to_household) {
                return Err(Error::InvalidChange(
                    "the person is a member of that household already".into(),
                ));
            }
            let (target, ()) = rt.update(to_household, |h: &mut Household| {
                join(h, person_id, relation)
            })?;
            if let Some(from) = &person.household_id {
                rt.update(from, |h: &mut Household| {
                    h.members.retain(|m| m.person_id != person_id);
                    Ok(())
                })?;
            }
            rt.update(person_id, |p: &mut Person| {
                p.household_id = Some(to_household.to_owned());
                p.grid_code = target.grid_code.clone();
                Ok(())
            })?;
            Ok(())
        })
    }

    /// Marks a household or person inactive (moved away, deceased, dissolved) or
    /// active again. Nothing is deleted: the record and its history stay.
    pub fn set_record_status(&self, id: &str, status: RecordStatus) -> Result<()> {
        match (self.kind_of(id)?, status) {
            (RecordKind::Household, RecordStatus::Deceased) => Err(Error::InvalidChange(
                "a household cannot be deceased; use dissolved or moved_away".into(),
            )),
            (RecordKind::Household, _) => self.with_records(|rt| {
                rt.update(id, |h: &mut Household| {
                    h.status = status;
                    Ok(())
                })
                .map(|_| ())
            }),
            (RecordKind::Person, RecordStatus::Dissolved) => Err(Error::InvalidChange(
                "a person cannot be dissolved; use moved_away or deceased".into(),
            )),
            (RecordKind::Person, _) => self.with_records(|rt| {
                rt.update(id, |p: &mut Person| {
                    p.status = status;
                    Ok(())
                })
                .map(|_| ())
            }),
            (other, _) => Err(Error::WrongKind {
                id: id.to_owned(),
                expected: RecordKind::Household,
                actual: other,
            }),
        }
    }

    /// The kind of a stored record.
    pub fn kind_of(&self, id: &str) -> Result<RecordKind> {
        use rusqlite::OptionalExtension;
        let kind: Option<String> = self
            .conn()
            .query_row("SELECT kind FROM documents WHERE doc_id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        kind.ok_or_else(|| Error::NotFound { id: id.to_owned() })?
            .parse()
            .map_err(Error::InvalidChange)
    }
}

impl FieldStore {
    /// Replaces the stored form pack with a newer version (checked whole: an older
    /// version is refused, the same version changes nothing). Lists and problem
    /// counts of households and persons are recomputed against the new forms in the
    /// same transaction.
    pub fn import_form_pack(&self, pack: &FormPack) -> Result<ImportOutcome> {
        let problems = pack.problems();
        if !problems.is_empty() {
            return Err(Error::InvalidFormPack {
                version: pack.version,
                problems,
            });
        }
        let body = serde_json::to_string(pack).map_err(|e| Error::InvalidFormPack {
            version: pack.version,
            problems: vec![e.to_string()],
        })?;
        let digest = blake3::hash(body.as_bytes());
        self.write(|tx| {
            let current: Option<i64> = tx
                .query_row("SELECT version FROM reference_blobs WHERE what = ?1", [FORMS], |r| r.get(0))
                .optional()?;
            match current.map(|v| v as u64) {
                Some(v) if v == pack.version => return Ok(ImportOutcome::AlreadyCurrent),
                Some(v) if v > pack.version => {
                    return Err(Error::StaleReferenceData { what: "form pack", current: v, offered: pack.version });
                }
                _ => {}
            }
            tx.execute(
                "INSERT OR REPLACE INTO reference_blobs (what, version, body, digest) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![FORMS, pack.version as i64, body, digest.as_bytes().as_slice()],
            )?;
            index::rebuild_households(tx)?;
            Ok(ImportOutcome::Imported)
        })
    }
}

/// The warning for a person whose ID-card number another person of the store has.
fn duplicate_warning(
    rt: &RecordTx<'_>,
    id: &str,
    values: &crate::forms::FormValues,
) -> Result<Option<FieldProblem>> {
    let Some(hash) = index::lookup_hash(values.get("basic.id_number")) else {
        return Ok(None);
    };
    let others: i64 = rt.tx().query_row(
        "SELECT count(*) FROM persons p JOIN documents d ON d.id = p.doc
         WHERE p.id_hash = ?1 AND d.doc_id <> ?2",
        rusqlite::params![hash, id],
        |r| r.get(0),
    )?;
    Ok((others > 0).then(|| FieldProblem {
        field: "basic.id_number".into(),
        label: "身份证号".into(),
        severity: Severity::Warning,
        message: format!("另有 {others} 人登记了同一身份证号，请核对"),
    }))
}

fn form_for(rt: &RecordTx<'_>, kind: RecordKind) -> Result<std::sync::Arc<CompiledForm>> {
    current_form(rt.tx(), kind)?
        .ok_or_else(|| Error::InvalidChange(format!("there is no form for {kind} records")))
}

fn check_grid(rt: &RecordTx<'_>, grid_code: &str) -> Result<()> {
    let grids: i64 = rt
        .tx()
        .query_row("SELECT count(*) FROM grids", [], |r| r.get(0))?;
    let known: i64 = rt.tx().query_row(
        "SELECT count(*) FROM grids WHERE code = ?1",
        [grid_code],
        |r| r.get(0),
    )?;
    if grids > 0 && known == 0 {
        return Err(Error::InvalidChange(format!(
            "there is no grid {grid_code:?} in the org tree"
        )));
    }
    Ok(())
}

/// What the index takes from a save that has just checked the record.
fn checked<'f>(form: &'f CompiledForm, applied: &Applied) -> Checked<'f> {
    Checked {
        form,
        problems: applied.problems.len(),
    }
}
