//! The records an assessment period counts, read from the store: the incidents
//! reported in it (replayed), who changed which household and person records in
//! it, and the home visits made in it. Patrols come from the tracks, which the
//! server reviews.

use std::collections::BTreeSet;

use super::FieldStore;
use crate::assessment::{Activity, CaseRow, RecordEdit, VisitBrief};
use crate::documents::{actor, any, storage};
use crate::error::Result;
use crate::incident::{Stage, replay};
use crate::records::{Channel, Household, Incident, RecordKind, Satisfaction, Urgency};

/// How long before a period a record's last local write may lie and still hold a
/// change the period counts (the authors' clocks may run behind the store's).
pub const EDIT_MARGIN_S: i64 = 7 * 86_400;

impl FieldStore {
    /// The incidents reported in `[from, to)` as reports count them, from the
    /// query table alone (no document is opened), in the grids `sees` accepts.
    pub fn case_rows(
        &self,
        sees: impl Fn(&str) -> bool,
        (from, to): (i64, i64),
    ) -> Result<Vec<CaseRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, i.grid_code, i.category, i.channel, i.urgency, i.reported_at,
                    i.stage, i.assignee, i.dispatched_at, i.closed_at, i.follow_up
             FROM incidents i JOIN documents d ON d.id = i.doc
             WHERE i.reported_at >= ?1 AND i.reported_at < ?2",
        )?;
        let mut rows = stmt.query([from, to])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let grid: String = r.get(1)?;
            if !sees(&grid) {
                continue;
            }
            let channel: String = r.get(3)?;
            let urgency: String = r.get(4)?;
            let stage: String = r.get(6)?;
            let answer: Option<String> = r.get(10)?;
            out.push(CaseRow {
                id: r.get(0)?,
                grid,
                category: r.get(2)?,
                channel: Channel::parse(&channel).unwrap_or_default(),
                urgency: Urgency::parse(&urgency).unwrap_or_default(),
                reported_at: r.get(5)?,
                stage: Stage::parse(&stage).unwrap_or(Stage::Reported),
                assignee: r.get(7)?,
                dispatched_at: r.get(8)?,
                closed_at: r.get(9)?,
                answer: answer.as_deref().and_then(Satisfaction::parse),
            });
        }
        Ok(out)
    }

    /// The incidents reported in `[from, to)`, and the record edits and home
    /// visits made in it, in the grids `sees` accepts. An edit is one person's
    /// changes to one record (by the changes' authors and their clocks).
    pub fn activity_between(
        &self,
        sees: impl Fn(&str) -> bool,
        (from, to): (i64, i64),
    ) -> Result<Activity> {
        let conn = self.conn();
        let mut activity = Activity::default();
        let mut stmt = conn.prepare(
            "SELECT d.doc_id FROM incidents i JOIN documents d ON d.id = i.doc
             WHERE i.reported_at >= ?1 AND i.reported_at < ?2 ORDER BY i.reported_at",
        )?;
        let ids: Vec<String> = stmt
            .query_map([from, to], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            let Some(loaded) = storage::load(&conn, &id)? else {
                continue;
            };
            let incident: Incident = any::hydrate(&loaded.doc, &id)?;
            if !sees(&incident.grid_code) {
                continue;
            }
            let state = replay(&incident);
            activity.incidents.push((id, incident, state));
        }
        let mut stmt = conn.prepare(
            "SELECT doc_id, kind, grid_code FROM documents
             WHERE kind IN ('household', 'person') AND updated_at >= ?1 ORDER BY id",
        )?;
        let docs: Vec<(String, String, String)> = stmt
            .query_map([from - EDIT_MARGIN_S], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, kind, grid) in docs {
            if !sees(&grid) {
                continue;
            }
            let Some(mut loaded) = storage::load(&conn, &id)? else {
                continue;
            };
            let kind = if kind == "household" {
                RecordKind::Household
            } else {
                RecordKind::Person
            };
            let authors: BTreeSet<String> = loaded
                .doc
                .get_changes(&[])
                .iter()
                .filter(|c| (from..to).contains(&c.timestamp()))
                .filter_map(|c| actor::author_of(c.message()))
                .collect();
            activity
                .edits
                .extend(authors.into_iter().map(|by| RecordEdit {
                    record: id.clone(),
                    kind,
                    grid: grid.clone(),
                    by,
                }));
            if kind == RecordKind::Household {
                let household: Household = any::hydrate(&loaded.doc, &id)?;
                activity.visits.extend(
                    household
                        .visits
                        .iter()
                        .filter(|v| (from..to).contains(&v.at))
                        .map(|v| VisitBrief {
                            household: id.clone(),
                            grid: grid.clone(),
                            by: v.by.clone(),
                            at: v.at,
                        }),
                );
            }
        }
        Ok(activity)
    }
}
