//! What households and persons add to their query tables: problem counts against
//! the form in force, list-filter values, and keyed hashes for exact lookups.

use rusqlite::{Connection, params};

use crate::forms::{FieldType, FormValues, current_form, date_at};
use crate::records::{FieldValue, RecordKind};

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
/// against the form in force.
pub(crate) fn write_facets(
    conn: &Connection,
    doc: i64,
    kind: RecordKind,
    values: &FormValues,
) -> rusqlite::Result<i64> {
    conn.execute("DELETE FROM record_facets WHERE doc = ?1", [doc])?;
    let form = current_form(conn, kind)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let Some(form) = form else { return Ok(0) };
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
    let today = date_at(crate::time::now());
    Ok(form.check(values, today).len() as i64)
}

/// Recomputes the query rows of every household and person (after a migration or
/// a new form pack).
pub(crate) fn reindex(tx: &rusqlite::Transaction<'_>) -> crate::Result<()> {
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT id, doc_id, kind FROM documents WHERE kind IN ('household', 'person')")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (row, id, kind) in rows {
        let kind: RecordKind = kind.parse().map_err(crate::Error::InvalidChange)?;
        let loaded = crate::documents::storage::load_kind(tx, &id, kind)?;
        let record = crate::documents::any::AnyRecord::hydrate(kind, &loaded.doc, &id)?;
        record.write_index(tx, row)?;
    }
    Ok(())
}
