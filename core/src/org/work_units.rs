//! The units that handle incidents (承办单位): a town's four platforms (综治工作,
//! 市场监管, 综合执法, 便民服务) and the departments at town and county level
//! (司法所, 市场监督所, 自然资源所…), each with its members and the categories it
//! handles. The categories are the routing rules: editable reference data,
//! published with the org tree.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{OrgTree, OrgUnit, Role, RoleAssignment, Scope, UnitLevel};
use crate::records::Grade;

/// Whether a unit is one of the four platforms or a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkUnitKind {
    /// One of the four platforms (四个平台) of a town's command centre.
    Platform,
    /// A department (司法所, 派出所, 县自然资源局…).
    Department,
}

impl WorkUnitKind {
    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            WorkUnitKind::Platform => "平台",
            WorkUnitKind::Department => "部门",
        }
    }
}

/// A routing rule: the unit handles a category (and everything under it), for
/// the grades listed (every grade when none are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handles {
    /// A catalogue code at any level.
    pub category: String,
    /// The grades it takes; empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<Grade>,
}

/// A platform or department that handles dispatched incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkUnit {
    /// Its code: letters, digits, `.`, `-` or `_` (e.g. `320722104000-zongzhi`).
    pub code: String,
    /// Its Chinese name, e.g. 综治工作平台.
    pub name: String,
    /// Platform or department.
    pub kind: WorkUnitKind,
    /// The town or county it works for (its administrative division code).
    pub within: String,
    /// The staff who act for it (each holds the handler's role over `within`).
    #[serde(default)]
    pub members: Vec<String>,
    /// The categories it handles: the routing rules.
    #[serde(default)]
    pub handles: Vec<Handles>,
}

impl OrgTree {
    /// The handling unit `code`.
    pub fn work_unit(&self, code: &str) -> Option<&WorkUnit> {
        self.work_units.iter().find(|u| u.code == code)
    }

    /// The units `staff_id` acts for.
    pub fn work_units_of<'a>(&'a self, staff_id: &'a str) -> impl Iterator<Item = &'a WorkUnit> {
        self.work_units
            .iter()
            .filter(move |u| u.members.iter().any(|m| m == staff_id))
    }

    /// The administrative unit `code`.
    pub fn unit(&self, code: &str) -> Option<&OrgUnit> {
        self.units.iter().find(|u| u.code == code)
    }

    /// The town a grid belongs to (through its village).
    pub fn town_of_grid(&self, grid_code: &str) -> Option<&OrgUnit> {
        let grid = self.grids.iter().find(|g| g.code == grid_code)?;
        let mut unit = self.unit(&grid.unit)?;
        while unit.level == UnitLevel::Village {
            unit = self.unit(unit.parent.as_deref()?)?;
        }
        (unit.level == UnitLevel::Town).then_some(unit)
    }

    /// The county unit.
    pub fn county(&self) -> Option<&OrgUnit> {
        self.units.iter().find(|u| u.level == UnitLevel::County)
    }

    /// The roles a person holds, with the handler's role over each unit they act
    /// for added.
    pub(crate) fn roles_with_units(&self, staff_id: &str) -> Vec<RoleAssignment> {
        let mut roles: Vec<RoleAssignment> = self
            .staff
            .iter()
            .find(|s| s.id == staff_id)
            .map(|s| s.roles.clone())
            .unwrap_or_default();
        for unit in self.work_units_of(staff_id) {
            let held = RoleAssignment {
                role: Role::DepartmentHandler,
                scope: Scope::Unit(unit.within.clone()),
            };
            if !roles.contains(&held) {
                roles.push(held);
            }
        }
        roles
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The rules handling units break, added to `out`.
pub(super) fn problems(
    tree: &OrgTree,
    units: &HashMap<&str, &OrgUnit>,
    staff: &HashSet<&str>,
    out: &mut Vec<String>,
) {
    let mut codes = HashSet::new();
    for w in &tree.work_units {
        if !is_code(&w.code) {
            out.push(format!(
                "work unit {:?}: code must be 1 to 64 letters, digits, '.', '-' or '_'",
                w.code
            ));
        }
        if !codes.insert(w.code.as_str()) {
            out.push(format!("work unit {}: code used twice", w.code));
        }
        if w.name.trim().is_empty() {
            out.push(format!("work unit {}: name is empty", w.code));
        }
        match units.get(w.within.as_str()) {
            None => out.push(format!(
                "work unit {}: unit {} is not in the tree",
                w.code, w.within
            )),
            Some(u) if u.level == UnitLevel::Village => out.push(format!(
                "work unit {}: works for a town or the county, not for village {}",
                w.code, w.within
            )),
            Some(_) => {}
        }
        for m in &w.members {
            if !staff.contains(m.as_str()) {
                out.push(format!(
                    "work unit {}: member {m} is not in the staff",
                    w.code
                ));
            }
        }
        for h in &w.handles {
            if h.category.trim().is_empty() {
                out.push(format!("work unit {}: a rule has no category", w.code));
            }
        }
    }
}
