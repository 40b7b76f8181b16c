//! A record of any kind, for work that follows the kind stored with a document
//! (applying changes received from other devices, rebuilding indexes).

use automerge::{AutoCommit, ReadDoc};

use crate::error::{Error, Result, mask_values};
use crate::records::{Household, Incident, PatrolLog, Person, Record, RecordKind};

/// One typed record, whichever its kind.
pub(crate) enum AnyRecord {
    Household(Household),
    Person(Person),
    Incident(Incident),
    PatrolLog(PatrolLog),
}

/// Reads a typed record out of a document.
pub(crate) fn hydrate<R: Record>(doc: &AutoCommit, doc_id: &str) -> Result<R> {
    let hydrated =
        doc.hydrate(&automerge::ROOT, None)
            .unwrap_or(automerge::hydrate::Value::Scalar(
                automerge::ScalarValue::Null,
            ));
    super::read::from_hydrated(&hydrated).map_err(|e| Error::InvalidDocument {
        id: doc_id.to_owned(),
        kind: R::KIND,
        reason: mask_values(&e.to_string()),
    })
}

macro_rules! each_kind {
    ($self:ident, $r:ident => $body:expr) => {
        match $self {
            AnyRecord::Household($r) => $body,
            AnyRecord::Person($r) => $body,
            AnyRecord::Incident($r) => $body,
            AnyRecord::PatrolLog($r) => $body,
        }
    };
}

impl AnyRecord {
    /// Reads the record of `kind` out of a document.
    pub(crate) fn hydrate(kind: RecordKind, doc: &AutoCommit, doc_id: &str) -> Result<Self> {
        Ok(match kind {
            RecordKind::Household => AnyRecord::Household(hydrate(doc, doc_id)?),
            RecordKind::Person => AnyRecord::Person(hydrate(doc, doc_id)?),
            RecordKind::Incident => AnyRecord::Incident(hydrate(doc, doc_id)?),
            RecordKind::PatrolLog => AnyRecord::PatrolLog(hydrate(doc, doc_id)?),
        })
    }

    /// The kind of record it is.
    pub(crate) fn kind(&self) -> RecordKind {
        match self {
            AnyRecord::Household(_) => RecordKind::Household,
            AnyRecord::Person(_) => RecordKind::Person,
            AnyRecord::Incident(_) => RecordKind::Incident,
            AnyRecord::PatrolLog(_) => RecordKind::PatrolLog,
        }
    }

    pub(crate) fn grid_code(&self) -> &str {
        each_kind!(self, r => r.grid_code())
    }

    pub(crate) fn title(&self) -> String {
        each_kind!(self, r => r.title())
    }

    pub(crate) fn references(&self) -> Vec<crate::records::Reference> {
        each_kind!(self, r => r.references())
    }

    pub(crate) fn claims(&self) -> Vec<(String, String)> {
        each_kind!(self, r => r.claims())
    }

    pub(crate) fn search_text(&self) -> String {
        each_kind!(self, r => r.search_text())
    }
}
