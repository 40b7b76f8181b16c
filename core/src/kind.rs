//! The kinds of record kept as documents, and the kinds of versioned reference
//! data: named below everything else, since errors, storage, the sync protocol
//! and the server all speak of them.

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

/// Versioned reference data the server publishes and every phone imports whole:
/// one mechanism for all of them (publishing, storage, `/v1/reference/{name}`,
/// the sync's version check), named here once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// The org tree: units, grids, staff (组织架构).
    OrgTree,
    /// The incident category catalogue (事件分类).
    Catalogue,
    /// The household and person forms (表单).
    FormPack,
    /// The assessment rules (考核办法).
    AssessmentRules,
}

impl ReferenceKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ReferenceKind; 4] = [
        ReferenceKind::OrgTree,
        ReferenceKind::Catalogue,
        ReferenceKind::FormPack,
        ReferenceKind::AssessmentRules,
    ];

    /// The name in storage, in the sync protocol and in `/v1/reference/{name}`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::OrgTree => "org_tree",
            ReferenceKind::Catalogue => "catalogue",
            ReferenceKind::FormPack => "forms",
            ReferenceKind::AssessmentRules => "assessment_rules",
        }
    }

    /// The kind with this name.
    pub fn parse(name: &str) -> Option<Self> {
        ReferenceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ReferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A body of reference data: its kind, its version (newer replaces older, never
/// the reverse) and the rules it must keep before anyone publishes or imports it.
pub trait ReferenceData: Serialize + serde::de::DeserializeOwned {
    /// Which kind.
    const KIND: ReferenceKind;

    /// Increases with every change published.
    fn version(&self) -> u64;

    /// Every rule it breaks (empty when it may be published).
    fn problems(&self) -> Vec<String>;
}
