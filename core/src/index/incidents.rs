//! The `incidents` query table: each incident's stage, level, assignee and times,
//! replayed from its transitions.

use rusqlite::{Connection, params};

use crate::assessment::CaseRow;
use crate::error::Result;
use crate::incident::{WorkflowState, replay};
use crate::records::Incident;

/// Writes an incident's row of `incidents`, with the facts statistics and
/// assessment count ([`CaseRow::of`]).
pub(crate) fn write_incident(conn: &Connection, doc: i64, incident: &Incident) -> Result<()> {
    let state = replay(incident);
    let facts = CaseRow::of("", incident, &state);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO incidents
            (doc, grid_code, category, reporter_id, reported_at, transitions, stage, level,
             assignee, dispatched_at, closed_at, conflicts, urgency, channel, follow_up,
             accepted_at, urged_units, returned_by, verified_on_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                 ?16, ?17, ?18, ?19)",
    )?
    .execute(params![
        doc,
        incident.grid_code,
        incident.category,
        incident.reporter_id,
        incident.reported_at,
        incident.transitions.len() as i64,
        state.stage.as_str(),
        state.level,
        state.assignee,
        state.dispatched_at,
        state.closed_at,
        state.conflicts.len() as i64,
        incident.urgency.as_str(),
        incident.channel.as_str(),
        facts.answer.map(|a| a.as_str()),
        facts.accepted_at,
        facts.urged_units.join("\n"),
        facts.returned_by.join("\n"),
        facts.verified_on_time,
    ])?;
    write_shares(conn, doc, &state)
}

/// Writes the incident's rows of `incident_shares`: the lead with its stage, each
/// joint unit with its part, the supervising unit; each with its open urge.
fn write_shares(conn: &Connection, doc: i64, state: &WorkflowState) -> Result<()> {
    conn.prepare_cached("DELETE FROM incident_shares WHERE doc = ?1")?
        .execute([doc])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO incident_shares (doc, unit, share, status, task, due, urged_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let urged = |unit: &str| state.open_urge(unit).map(|u| u.at);
    if let Some(lead) = &state.assignee {
        insert.execute(params![
            doc,
            lead,
            "lead",
            state.stage.as_str(),
            "",
            None::<i64>,
            urged(lead)
        ])?;
    }
    for p in &state.parts {
        insert.execute(params![
            doc,
            p.unit,
            "joint",
            p.status.as_str(),
            p.task,
            p.due,
            urged(&p.unit)
        ])?;
    }
    if let Some(sup) = &state.supervisor {
        insert.execute(params![
            doc,
            sup,
            "supervisor",
            "",
            "",
            None::<i64>,
            None::<i64>
        ])?;
    }
    Ok(())
}

/// Rebuilds every incident's row from its document (the migration that added the
/// table runs this).
pub(crate) fn rebuild(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, doc_id FROM documents WHERE kind = 'incident'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (row, id) in rows {
        if let Some(loaded) = crate::documents::storage::load(tx, &id)? {
            let incident: Incident = crate::documents::any::hydrate(&loaded.doc, &id)?;
            write_incident(tx, row, &incident)?;
        }
    }
    Ok(())
}
