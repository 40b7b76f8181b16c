//! The records an assessment period counts, read from the store's query rows: the
//! incidents reported in it and the home visits made in it. No document is
//! opened, so a county's period costs rows, not records. Who changed which
//! household and person records is kept by the server as changes arrive, and
//! patrols come from the tracks the server reviews.

use super::FieldStore;
use crate::assessment::{Activity, CaseRow, VisitBrief};
use crate::error::Result;
use crate::incident::Stage;
use crate::records::{Channel, Satisfaction, Urgency};

/// Unit codes as a query row keeps them, one per line.
fn units(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

impl FieldStore {
    /// The incidents reported in `[from, to)` as reports, statistics and
    /// assessment count them, from the query table alone (no document is opened),
    /// in the grids `sees` accepts.
    pub fn case_rows(
        &self,
        sees: impl Fn(&str) -> bool,
        (from, to): (i64, i64),
    ) -> Result<Vec<CaseRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, i.grid_code, i.category, i.channel, i.urgency, i.reported_at,
                    i.stage, i.assignee, i.dispatched_at, i.closed_at, i.follow_up,
                    i.reporter_id, i.accepted_at, i.urged_units, i.returned_by,
                    i.verified_on_time
             FROM incidents i JOIN documents d ON d.id = i.doc
             WHERE i.reported_at >= ?1 AND i.reported_at < ?2
             ORDER BY i.reported_at, d.doc_id",
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
                reporter: r.get(11)?,
                accepted_at: r.get(12)?,
                urged_units: units(r.get(13)?),
                returned_by: units(r.get(14)?),
                verified_on_time: r.get(15)?,
            });
        }
        Ok(out)
    }

    /// The home visits made in `[from, to)` on households in the grids `sees`
    /// accepts, oldest first.
    pub fn visits_between(
        &self,
        sees: impl Fn(&str) -> bool,
        (from, to): (i64, i64),
    ) -> Result<Vec<VisitBrief>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, d.grid_code, v.visitor, v.at
             FROM household_visits v JOIN documents d ON d.id = v.doc
             WHERE v.at >= ?1 AND v.at < ?2 ORDER BY v.at, d.doc_id",
        )?;
        let mut rows = stmt.query([from, to])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let grid: String = r.get(1)?;
            if sees(&grid) {
                out.push(VisitBrief {
                    household: r.get(0)?,
                    grid,
                    by: r.get(2)?,
                    at: r.get(3)?,
                });
            }
        }
        Ok(out)
    }

    /// The incidents reported in `[from, to)` and the home visits made in it, in
    /// the grids `sees` accepts, from the query rows. Edits and patrols are left
    /// empty: the server adds them from what it keeps as changes and tracks arrive.
    pub fn activity_between(
        &self,
        sees: impl Fn(&str) -> bool,
        range: (i64, i64),
    ) -> Result<Activity> {
        Ok(Activity {
            incidents: self.case_rows(&sees, range)?,
            visits: self.visits_between(&sees, range)?,
            ..Activity::default()
        })
    }
}
