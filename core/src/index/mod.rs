//! The index layer: the query tables (`households`, `persons`, `incidents`,
//! `patrol_logs`, `record_facets`) and the search table, projected from a record
//! in the same transaction that stores its document. This is the only code that
//! writes them; lists and lookups read them.

mod households;
mod incidents;
pub(crate) mod knowledge;
mod patrol_logs;
pub(crate) mod search;

pub use search::{SearchFilter, SearchHit};

pub(crate) use households::lookup_hash;

use rusqlite::Connection;

use crate::documents::any::AnyRecord;
use crate::error::Result;
use crate::forms::CompiledForm;
use crate::records::FormRecord;

/// A record just checked against the form in force, so that projecting it does
/// not check it again.
#[derive(Clone, Copy)]
pub(crate) struct Checked<'a> {
    /// The form it was checked against (the one in force).
    pub form: &'a CompiledForm,
    /// How many problems the check found.
    pub problems: usize,
}

/// A record's projection worked out away from the database, on any thread: the
/// form check and the search text's segmentation, the costly parts that need no
/// connection. A first sync prepares thousands of these on every core while
/// one connection writes them ([`project_prepared`]).
pub(crate) struct Prepared {
    /// The record.
    pub record: AnyRecord,
    /// The problems the form in force found (households and persons).
    problems: Option<usize>,
    segmented: search::Segmented,
}

/// Prepares `record`'s projection; `form` is the form in force for its kind
/// (none for incidents and patrol logs).
pub(crate) fn prepare(record: AnyRecord, form: Option<&CompiledForm>) -> Prepared {
    let values = match &record {
        AnyRecord::Household(h) => Some(h.form_values()),
        AnyRecord::Person(p) => Some(p.form_values()),
        AnyRecord::Incident(_) | AnyRecord::PatrolLog(_) => None,
    };
    let today = crate::forms::date_at(crate::time::now());
    let problems = values
        .zip(form)
        .map(|(values, form)| form.check(&values, today).len());
    let segmented = search::segment(&record.search_text());
    Prepared {
        record,
        problems,
        segmented,
    }
}

/// Writes the query rows and the search row of a new document `row` from a
/// prepared projection (`form` as given to [`prepare`]).
pub(crate) fn project_prepared(
    conn: &Connection,
    row: i64,
    prepared: &Prepared,
    form: Option<&CompiledForm>,
) -> Result<()> {
    let checked = form
        .zip(prepared.problems)
        .map(|(form, problems)| Checked { form, problems });
    write_rows(conn, row, &prepared.record, checked)?;
    search::index_segmented(conn, row, &prepared.segmented)
}

/// Rewrites the query rows and the search row of document `row` from `record`.
pub(crate) fn project(
    conn: &Connection,
    row: i64,
    record: &AnyRecord,
    checked: Option<Checked<'_>>,
) -> Result<()> {
    write_rows(conn, row, record, checked)?;
    search::index_text(conn, row, &record.search_text())
}

/// The query-table rows alone (the search row is rebuilt separately).
fn write_rows(
    conn: &Connection,
    row: i64,
    record: &AnyRecord,
    checked: Option<Checked<'_>>,
) -> Result<()> {
    match record {
        AnyRecord::Household(h) => households::write_household(conn, row, h, checked),
        AnyRecord::Person(p) => households::write_person(conn, row, p, checked),
        AnyRecord::Incident(i) => incidents::write_incident(conn, row, i),
        AnyRecord::PatrolLog(l) => patrol_logs::write_patrol_log(conn, row, l),
    }
}

/// Rebuilds the rows of every household and person (after a migration or a new
/// form pack).
pub(crate) fn rebuild_households(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    households::rebuild(tx)
}

/// Rebuilds the rows of every incident.
pub(crate) fn rebuild_incidents(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    incidents::rebuild(tx)
}

/// Rebuilds the incidents' rows and the households' visit rows (after the
/// migration that keeps the facts statistics and assessment count).
pub(crate) fn rebuild_case_facts(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    incidents::rebuild(tx)?;
    households::rebuild_visits(tx)
}

/// Rebuilds the search table from every stored document.
pub(crate) fn rebuild_search(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    search::rebuild_index(tx)
}
