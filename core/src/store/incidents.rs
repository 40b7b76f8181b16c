//! Incidents on the phone: workflow steps, the category catalogue, and the work
//! queue with deadlines and colours.

use std::sync::{Arc, Mutex};

use rusqlite::{OptionalExtension, params};

use super::FieldStore;
use crate::error::{Error, Result};
use crate::incident::{
    Action, CATALOGUE, Catalogue, CategoryChoice, CategoryIndex, Colour, DayCount, QueueItem,
    Stage, WorkflowState, colour, deadline, default_catalogue, replay,
};
use crate::org::ImportOutcome;
use crate::records::{Channel, Incident, IncidentTransition, Satisfaction, Urgency};
use crate::time::now;

impl FieldStore {
    /// Moves an incident along as the signed-in user acting in `role`: appends
    /// `action` from the stage the replay shows on this device now, and returns the
    /// replayed state. Whether the step applies is decided by the replay on every
    /// device; one that does not (wrong stage, role or missing reason, or a
    /// concurrent step from another device) is kept as a conflict for a supervisor.
    pub fn incident_step(
        &self,
        id: &str,
        action: Action,
        role: &str,
        note: &str,
        assignee: Option<&str>,
    ) -> Result<WorkflowState> {
        self.incident_transition(
            id,
            IncidentTransition {
                role: role.to_owned(),
                to: action.as_str().to_owned(),
                note: note.to_owned(),
                assignee: assignee.map(str::to_owned),
                ..IncidentTransition::default()
            },
        )
    }

    /// Appends `step` (its action in `to`, with the role, note and the fields its
    /// action needs: the units of a dispatch, the part, the urge, the answer) as
    /// the signed-in user, now, from the stage the replay shows on this device;
    /// returns the replayed state. As [`FieldStore::incident_step`], whether it
    /// applies is the replay's decision on every device.
    pub fn incident_transition(
        &self,
        id: &str,
        mut step: IncidentTransition,
    ) -> Result<WorkflowState> {
        step.by = self.current_user().ok_or(Error::NotSignedIn)?;
        step.at = now();
        let stored = self.update::<Incident>(id, |i| {
            step.from = replay(i).stage.as_str().to_owned();
            i.transitions.push(step);
        })?;
        Ok(replay(&stored))
    }

    /// Replaces the stored category catalogue with a newer version (checked
    /// whole; an older version is refused, the same version changes nothing).
    pub fn import_catalogue(&self, catalogue: &Catalogue) -> Result<ImportOutcome> {
        let problems = catalogue.problems();
        if !problems.is_empty() {
            return Err(Error::InvalidCatalogue {
                version: catalogue.version,
                problems,
            });
        }
        let body = serde_json::to_string(catalogue).map_err(|e| Error::InvalidCatalogue {
            version: catalogue.version,
            problems: vec![e.to_string()],
        })?;
        self.write(|tx| {
            let current: Option<i64> = tx
                .query_row(
                    "SELECT version FROM reference_blobs WHERE what = ?1",
                    [CATALOGUE],
                    |r| r.get(0),
                )
                .optional()?;
            match current.map(|v| v as u64) {
                Some(v) if v == catalogue.version => return Ok(ImportOutcome::AlreadyCurrent),
                Some(v) if v > catalogue.version => {
                    return Err(Error::StaleReferenceData {
                        what: "category catalogue",
                        current: v,
                        offered: catalogue.version,
                    });
                }
                _ => {}
            }
            tx.execute(
                "INSERT OR REPLACE INTO reference_blobs (what, version, body) VALUES (?1, ?2, ?3)",
                params![CATALOGUE, catalogue.version as i64, body],
            )?;
            Ok(ImportOutcome::Imported)
        })
    }

    /// The stored category catalogue, if one was imported.
    pub fn catalogue(&self) -> Result<Option<Catalogue>> {
        Ok(self
            .catalogue_body()?
            .and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// The stored catalogue as the server sent it (JSON), if one was imported.
    fn catalogue_body(&self) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT body FROM reference_blobs WHERE what = ?1",
                [CATALOGUE],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// The picker's index of one catalogue, with the digest of the catalogue's body
/// and the day it was built for (retirements take effect by day).
struct Picker {
    digest: [u8; 32],
    day: i64,
    index: Arc<CategoryIndex>,
}

/// The index of the catalogue last searched.
static PICKER: Mutex<Option<Picker>> = Mutex::new(None);

impl FieldStore {
    /// The catalogue in force: the one the server sent, or the default.
    fn catalogue_in_force(&self) -> Result<Catalogue> {
        Ok(self.catalogue()?.unwrap_or_else(default_catalogue))
    }

    /// The categories the picker offers for `query` (a Chinese name or its pinyin
    /// initials, e.g. 噪音 or zyrm), best first, retired ones left out. Built once
    /// per catalogue and day, so each keystroke only searches.
    pub fn search_categories(&self, query: &str, limit: usize) -> Result<Vec<CategoryChoice>> {
        let body = self.catalogue_body()?;
        let digest = *blake3::hash(body.as_deref().unwrap_or("").as_bytes()).as_bytes();
        let at = now();
        let day = crate::time::day_start(&crate::time::date_at(at).to_string()).unwrap_or(at);
        let mut cached = PICKER.lock().unwrap_or_else(|p| p.into_inner());
        let index = match &*cached {
            Some(p) if p.digest == digest && p.day == day => p.index.clone(),
            _ => {
                let catalogue = body
                    .and_then(|b| serde_json::from_str(&b).ok())
                    .unwrap_or_else(default_catalogue);
                let index = Arc::new(CategoryIndex::new(&catalogue, at));
                *cached = Some(Picker {
                    digest,
                    day,
                    index: index.clone(),
                });
                index
            }
        };
        drop(cached);
        Ok(index.search(query, limit))
    }

    /// Stores a new incident after checking its category: the catalogue in force
    /// must know the code, and neither it nor a category above it may be retired
    /// by the day of the report ([`Error::InvalidCategory`] otherwise, nothing
    /// stored). Returns the new id.
    pub fn report_incident(&self, incident: &Incident) -> Result<String> {
        self.catalogue_in_force()?
            .check_code(&incident.category, incident.reported_at)
            .map_err(|refusal| Error::InvalidCategory(refusal.to_string()))?;
        self.create(incident)
    }
}

impl FieldStore {
    /// The open incidents (and, with `include_done`, the finished ones) with their
    /// colour at `now`, overdue first, then by due time — from the query table, no
    /// document loads. Deadlines come from the stored catalogue.
    pub fn incident_queue(
        &self,
        now: i64,
        count: DayCount,
        include_done: bool,
    ) -> Result<Vec<QueueItem>> {
        let catalogue = self.catalogue_in_force()?;
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, i.grid_code, i.category, i.stage, i.assignee, i.reported_at,
                    i.dispatched_at, i.closed_at, i.level, i.conflicts, i.urgency, i.channel,
                    w.name, i.follow_up
             FROM incidents i JOIN documents d ON d.id = i.doc
             LEFT JOIN work_units w ON w.code = i.assignee",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QueueRow {
                id: r.get(0)?,
                grid_code: r.get(1)?,
                category: r.get(2)?,
                stage: r.get(3)?,
                assignee: r.get(4)?,
                reported_at: r.get(5)?,
                dispatched_at: r.get(6)?,
                closed_at: r.get(7)?,
                level: r.get(8)?,
                conflicts: r.get(9)?,
                urgency: r.get(10)?,
                channel: r.get(11)?,
                unit_name: r.get(12)?,
                follow_up: r.get(13)?,
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let row = row?;
            let stage = Stage::parse(&row.stage).unwrap_or(Stage::Reported);
            let state = WorkflowState {
                stage,
                level: row.level as u32,
                assignee: row.assignee.clone(),
                dispatched_at: row.dispatched_at,
                closed_at: row.closed_at,
                ..WorkflowState::new(row.reported_at)
            };
            if state.stage.is_done() && !include_done {
                continue;
            }
            let urgency = Urgency::parse(&row.urgency).unwrap_or_default();
            let limits = catalogue.deadlines_for_case(&row.category, urgency);
            out.push(QueueItem {
                category_name: catalogue
                    .find(&row.category)
                    .map_or_else(|| row.category.clone(), |c| c.name.clone()),
                stage_name: stage.name_zh().to_owned(),
                assignee_name: row
                    .assignee
                    .as_ref()
                    .map(|a| row.unit_name.clone().unwrap_or_else(|| a.clone())),
                id: row.id,
                grid_code: row.grid_code,
                category: row.category,
                stage: row.stage,
                assignee: row.assignee,
                urgency,
                channel: Channel::parse(&row.channel).unwrap_or_default(),
                level: row.level as u32,
                colour: colour(&state, &limits, count, now),
                due: deadline(&state, &limits, count),
                conflicts: row.conflicts as u32,
                follow_up: row.follow_up.as_deref().and_then(Satisfaction::parse),
            });
        }
        let rank = |c: Colour| match c {
            Colour::Overdue => 0,
            Colour::Warning => 1,
            Colour::Pending => 2,
            Colour::Done => 3,
        };
        out.sort_by_key(|q| (rank(q.colour), q.due.unwrap_or(i64::MAX), q.id.clone()));
        Ok(out)
    }
}

/// One row of the queue's query.
struct QueueRow {
    id: String,
    grid_code: String,
    category: String,
    stage: String,
    assignee: Option<String>,
    reported_at: i64,
    dispatched_at: Option<i64>,
    closed_at: Option<i64>,
    level: i64,
    conflicts: i64,
    urgency: String,
    channel: String,
    unit_name: Option<String>,
    follow_up: Option<String>,
}
