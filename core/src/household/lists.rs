//! The lists and lookups a cadre works from: households of a grid or village with
//! filters on form fields, records with problems, households not visited for a
//! while, and exact lookups by ID-card number or phone.

use serde::Serialize;

use crate::records::{RecordKind, RecordStatus};

/// Which households to list. Empty criteria match everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HouseholdQuery {
    /// Only these grids (e.g. the user's grids).
    pub grids: Vec<String>,
    /// Only this village (org unit code).
    pub village: Option<String>,
    /// Only records in this state.
    pub status: Option<RecordStatus>,
    /// Form fields marked as filters, each `(key, code)`: a yes/no field matches
    /// `yes`/`no`, a choice its code. All must hold.
    pub filters: Vec<(String, String)>,
    /// Only records with problems (missing required fields or wrong values).
    pub with_problems: bool,
    /// Only households not visited in this many days (or never).
    pub not_visited_days: Option<u32>,
    /// Most rows returned (0: 500).
    pub limit: u32,
    /// Rows skipped, for paging.
    pub offset: u32,
}

/// Which persons to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PersonQuery {
    /// Only these grids.
    pub grids: Vec<String>,
    /// Only this village (org unit code).
    pub village: Option<String>,
    /// Only members of this household.
    pub household: Option<String>,
    /// Only records in this state.
    pub status: Option<RecordStatus>,
    /// Filter fields, as for households.
    pub filters: Vec<(String, String)>,
    /// Only records with problems.
    pub with_problems: bool,
    /// Most rows returned (0: 500).
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// One household in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdSummary {
    /// The record id.
    pub id: String,
    /// Its grid.
    pub grid_code: String,
    /// Head of household.
    pub head_name: String,
    /// Address.
    pub address: String,
    /// Door-plate code.
    pub door_plate: Option<String>,
    /// `active`, `moved_away`, `dissolved`.
    pub status: String,
    /// Members.
    pub members: u32,
    /// Marked complete.
    pub complete: bool,
    /// Problems against the form in force.
    pub problems: u32,
    /// Last visit (unix seconds).
    pub last_visit_at: Option<i64>,
    /// Visits recorded.
    pub visits: u32,
}

/// One person in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonSummary {
    /// The record id.
    pub id: String,
    /// Their grid.
    pub grid_code: String,
    /// Name.
    pub name: String,
    /// Their household.
    pub household_id: Option<String>,
    /// `active`, `moved_away`, `deceased`.
    pub status: String,
    /// Marked complete.
    pub complete: bool,
    /// Problems against the form in force.
    pub problems: u32,
}

/// A record found by an exact lookup or a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundRecord {
    /// Household or person.
    pub kind: RecordKind,
    /// The record id.
    pub id: String,
    /// Its list title.
    pub title: String,
    /// Its grid.
    pub grid_code: String,
}
