//! Which grids a person may see and write, computed from an [`OrgTree`] alone (the
//! server holds the tree as reference data, not as SQL tables).

use std::collections::{BTreeSet, HashMap};

use super::{OrgTree, Scope};

/// The grids a person's roles reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffScope {
    /// Grids the person holds a role in directly (synced first).
    pub direct: BTreeSet<String>,
    /// Every grid the person may see: the direct grids, the second-level grids inside
    /// them, and every grid of a town or county they supervise.
    pub all: BTreeSet<String>,
}

impl StaffScope {
    /// Whether the person may see and write records of `grid_code`.
    pub fn contains(&self, grid_code: &str) -> bool {
        self.all.contains(grid_code)
    }
}

impl OrgTree {
    /// The grids `staff_id` may see and write. Empty for someone not in the tree.
    pub fn scope_of(&self, staff_id: &str) -> StaffScope {
        let roles = self.roles_with_units(staff_id);
        if roles.is_empty() {
            return StaffScope::default();
        }
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for g in &self.grids {
            if let Some(p) = &g.parent_grid {
                children.entry(p.as_str()).or_default().push(&g.code);
            }
        }
        let mut scope = StaffScope::default();
        for role in &roles {
            match &role.scope {
                Scope::Grid(code) => {
                    scope.direct.insert(code.clone());
                    let mut stack = vec![code.as_str()];
                    while let Some(c) = stack.pop() {
                        if scope.all.insert(c.to_owned()) {
                            stack.extend(children.get(c).into_iter().flatten());
                        }
                    }
                }
                Scope::Unit(unit) => {
                    let units = self.units_under(unit);
                    for g in self
                        .grids
                        .iter()
                        .filter(|g| units.contains(g.unit.as_str()))
                    {
                        scope.direct.insert(g.code.clone());
                        scope.all.insert(g.code.clone());
                    }
                }
            }
        }
        scope
    }

    /// The roles `staff_id` holds over `grid_code` (through a grid role on it or on
    /// its first-level grid, or a unit role above it, including the handler's
    /// role of a unit the person acts for).
    pub fn roles_over(&self, staff_id: &str, grid_code: &str) -> Vec<super::Role> {
        let roles = self.roles_with_units(staff_id);
        let grid = self.grids.iter().find(|g| g.code == grid_code);
        roles
            .iter()
            .filter(|r| match (&r.scope, grid) {
                (Scope::Grid(code), Some(g)) => {
                    *code == g.code || g.parent_grid.as_deref() == Some(code.as_str())
                }
                (Scope::Unit(unit), Some(g)) => self.units_under(unit).contains(g.unit.as_str()),
                _ => false,
            })
            .map(|r| r.role)
            .collect()
    }

    /// `unit` and every unit below it.
    fn units_under<'a>(&'a self, unit: &'a str) -> BTreeSet<&'a str> {
        let mut found = BTreeSet::from([unit]);
        loop {
            let before = found.len();
            for u in &self.units {
                if u.parent.as_deref().is_some_and(|p| found.contains(p)) {
                    found.insert(u.code.as_str());
                }
            }
            if found.len() == before {
                return found;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::org::demo::{self, TOWN_SUPERVISOR};

    #[test]
    fn scopes_follow_roles() {
        let tree = demo::demo_county();
        let v0 = demo::village_code(0);
        let worker = tree.scope_of(&format!("worker-{v0}001"));
        assert_eq!(worker.direct.len(), 1);
        assert_eq!(worker.all.len(), 3);
        assert!(worker.contains(&format!("{v0}102")));
        assert!(!worker.contains(&format!("{v0}002")));
        assert_eq!(tree.scope_of(TOWN_SUPERVISOR).all.len(), tree.grids.len());
        assert!(tree.scope_of("nobody").all.is_empty());
    }
}
