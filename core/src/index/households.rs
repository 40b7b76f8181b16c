//! The `households` and `persons` query tables: list columns, problem counts
//! against the form in force, list-filter values, and keyed hashes for exact
//! lookups.

use rusqlite::{Connection, params};

use super::Checked;
use crate::forms::{FieldType, FormValues, current_form, date_at};
use crate::records::{FieldValue, FormRecord, Household, Person, RecordKind};

/// Writes a household's row of `households` and its list-filter rows.
pub(crate) fn write_household(
    conn: &Connection,
    doc: i64,
    house: &Household,
    checked: Option<Checked<'_>>,
) -> crate::Result<()> {
    let values = house.form_values();
    let problems = write_facets(conn, doc, RecordKind::Household, &values, checked)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO households
            (doc, grid_code, address, head_name, door_plate, status, member_count,
             form_version, complete, problems, last_visit_at, visits, phone_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        doc,
        house.grid_code,
        house.address,
        house.head_name,
        house.door_plate,
        house.status.as_str(),
        house.members.len() as i64,
        house.form_version,
        house.complete,
        problems,
        house.visits.iter().map(|v| v.at).max(),
        house.visits.len() as i64,
        lookup_hash(values.get("basic.phone")),
    ])?;
    write_visits(conn, doc, house)
}

/// Rewrites a household's rows of `household_visits`.
fn write_visits(conn: &Connection, doc: i64, house: &Household) -> crate::Result<()> {
    conn.prepare_cached("DELETE FROM household_visits WHERE doc = ?1")?
        .execute([doc])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO household_visits (doc, visitor, at) VALUES (?1, ?2, ?3)")?;
    for v in &house.visits {
        insert.execute(params![doc, v.by, v.at])?;
    }
    Ok(())
}

/// Writes the visit rows of every household (after the migration that added them).
pub(crate) fn rebuild_visits(tx: &rusqlite::Transaction<'_>) -> crate::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, doc_id FROM documents WHERE kind = 'household'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (row, id) in rows {
        let loaded = crate::documents::storage::load_kind(tx, &id, RecordKind::Household)?;
        let house: Household = crate::documents::any::hydrate(&loaded.doc, &id)?;
        write_visits(tx, row, &house)?;
    }
    Ok(())
}

/// Writes a person's row of `persons` and its list-filter rows.
pub(crate) fn write_person(
    conn: &Connection,
    doc: i64,
    person: &Person,
    checked: Option<Checked<'_>>,
) -> crate::Result<()> {
    let values = person.form_values();
    let problems = write_facets(conn, doc, RecordKind::Person, &values, checked)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO persons
            (doc, grid_code, household_id, name, status, form_version, complete,
             problems, id_hash, phone_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        doc,
        person.grid_code,
        person.household_id,
        person.name,
        person.status.as_str(),
        person.form_version,
        person.complete,
        problems,
        lookup_hash(person.id_number.clone().map(FieldValue::Text).as_ref()),
        lookup_hash(values.get("basic.phone")),
    ])?;
    Ok(())
}

/// The key of the lookup hashes. ID-card numbers and phones are looked up by an
/// exact keyed hash, so neither the index nor the search table holds them in the
/// clear (the store itself is protected by encryption at rest).
const LOOKUP_CONTEXT: &str = "fieldgrid 2026-11 exact lookup of ID-card and phone numbers";

/// The lookup hash of an ID-card or phone number (spaces and dashes dropped, `x`
/// upper-cased), or `None` for no value.
pub(crate) fn lookup_hash(value: Option<&FieldValue>) -> Option<Vec<u8>> {
    let FieldValue::Text(text) = value? else {
        return None;
    };
    // The same normalisation as ID numbers get on save (NFKC, no spaces or
    // hyphens, upper case), so that any typing of a number finds it.
    let normal = crate::id_checks::normalise_id_number(text);
    if normal.is_empty() {
        return None;
    }
    Some(blake3::derive_key(LOOKUP_CONTEXT, normal.as_bytes())[..16].to_vec())
}

/// Rewrites a record's list-filter rows and returns how many problems it has
/// against the form in force: counted here, or taken from `checked` when the
/// caller has just checked the record against that form.
fn write_facets(
    conn: &Connection,
    doc: i64,
    kind: RecordKind,
    values: &FormValues,
    checked: Option<Checked<'_>>,
) -> crate::Result<i64> {
    conn.prepare_cached("DELETE FROM record_facets WHERE doc = ?1")?
        .execute([doc])?;
    let loaded;
    let form = match checked {
        Some(c) => c.form,
        None => match current_form(conn, kind)? {
            Some(f) => {
                loaded = f;
                &*loaded
            }
            None => return Ok(0),
        },
    };
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO record_facets (field, value, doc) VALUES (?1, ?2, ?3)",
    )?;
    for (module, field) in form.definition.fields().filter(|(_, f)| f.filter) {
        let key = format!("{}.{}", module.code, field.code);
        let codes: Vec<String> = match (values.get(&key), &field.field_type) {
            (Some(FieldValue::Bool(b)), _) => vec![if *b { "yes" } else { "no" }.to_owned()],
            (Some(FieldValue::Text(t)), FieldType::Single { .. }) => vec![t.clone()],
            (Some(FieldValue::Choices(c)), FieldType::Multiple { .. }) => c.clone(),
            _ => Vec::new(),
        };
        for code in codes {
            insert.execute(params![key, code, doc])?;
        }
    }
    if let Some(c) = checked {
        return Ok(c.problems as i64);
    }
    let today = date_at(crate::time::now());
    Ok(form.check(values, today).len() as i64)
}

/// Recomputes the query rows of every household and person (after a migration or
/// a new form pack).
pub(crate) fn rebuild(tx: &rusqlite::Transaction<'_>) -> crate::Result<()> {
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT id, doc_id, kind FROM documents WHERE kind IN ('household', 'person')")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (row, id, kind) in rows {
        let kind: RecordKind = kind.parse().map_err(crate::Error::InvalidChange)?;
        let loaded = crate::documents::storage::load_kind(tx, &id, kind)?;
        let record = crate::documents::any::AnyRecord::hydrate(kind, &loaded.doc, &id)?;
        super::write_rows(tx, row, &record, None)?;
    }
    Ok(())
}
