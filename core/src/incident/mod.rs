//! Incidents (事件): the closed loop from report to assessment, with deadlines and
//! colours. The incident record is `records::Incident`; this module replays its
//! transitions.

pub mod catalogue;
pub mod deadlines;
pub mod statistics;
pub mod workflow;

pub use catalogue::{Catalogue, Category, default_catalogue};
pub use deadlines::{Colour, DayCount, StageDeadlines, colour, deadline};
pub use statistics::{IncidentStats, statistics};
pub use workflow::{Action, Conflict, Stage, WorkflowState, replay};

#[cfg(test)]
mod tests;

use rusqlite::{OptionalExtension, params};

use crate::error::{Error, Result};
use crate::org::ImportOutcome;
use crate::store::FieldStore;

impl FieldStore {
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
                .query_row("SELECT version FROM reference_blobs WHERE what = 'catalogue'", [], |r| r.get(0))
                .optional()?;
            match current.map(|v| v as u64) {
                Some(v) if v == catalogue.version => return Ok(ImportOutcome::AlreadyCurrent),
                Some(v) if v > catalogue.version => {
                    return Err(Error::StaleReferenceData { what: "category catalogue", current: v, offered: catalogue.version });
                }
                _ => {}
            }
            tx.execute(
                "INSERT OR REPLACE INTO reference_blobs (what, version, body) VALUES ('catalogue', ?1, ?2)",
                params![catalogue.version as i64, body],
            )?;
            Ok(ImportOutcome::Imported)
        })
    }

    /// The stored category catalogue, if one was imported.
    pub fn catalogue(&self) -> Result<Option<Catalogue>> {
        let body: Option<String> = self
            .conn()
            .query_row(
                "SELECT body FROM reference_blobs WHERE what = 'catalogue'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }
}
