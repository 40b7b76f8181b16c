//! The kinds of record kept as documents: named below everything else, since
//! errors, storage and the sync protocol all speak of them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The kinds of record that live as documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A household (户) and its house record.
    Household,
    /// A resident (人员信息).
    Person,
    /// A reported incident (事件).
    Incident,
    /// The log of one patrol (巡查日志).
    PatrolLog,
}

impl RecordKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Household,
        RecordKind::Person,
        RecordKind::Incident,
        RecordKind::PatrolLog,
    ];

    /// The name stored in the database and used in the sync protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Household => "household",
            RecordKind::Person => "person",
            RecordKind::Incident => "incident",
            RecordKind::PatrolLog => "patrol_log",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown record kind {s:?}"))
    }
}
