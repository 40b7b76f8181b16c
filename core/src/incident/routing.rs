//! Routing (分级、分类、分线): which handling unit an incident goes to by default,
//! from its category and grade, at the level that holds it (its town, or the
//! county once escalated). Suggested at dispatch; the command centre decides.

use super::{Catalogue, Grade};
use crate::org::{OrgTree, WorkUnit};

impl OrgTree {
    /// The unit a case of `category` and `grade` in `grid_code` goes to by
    /// default at `level` (0: the grid's town, 1: the county).
    ///
    /// Among the units working for that town or county, the one whose rule names
    /// the most specific category on the case's path wins, a rule naming the grade
    /// before one for every grade; without a rule, the unit named as the
    /// category's default in the catalogue.
    pub fn suggest_unit(
        &self,
        catalogue: &Catalogue,
        category: &str,
        grade: Grade,
        grid_code: &str,
        level: u32,
    ) -> Option<&WorkUnit> {
        let within = if level == 0 {
            self.town_of_grid(grid_code)?
        } else {
            self.county()?
        };
        let path: Vec<&str> = catalogue
            .path(category)
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        let path = if path.is_empty() {
            vec![category]
        } else {
            path
        };
        let mut best: Option<((usize, bool), &WorkUnit)> = None;
        for unit in self.work_units.iter().filter(|u| u.within == within.code) {
            for rule in &unit.handles {
                let Some(depth) = path.iter().position(|c| *c == rule.category) else {
                    continue;
                };
                if !rule.grades.is_empty() && !rule.grades.contains(&grade) {
                    continue;
                }
                let score = (depth, !rule.grades.is_empty());
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, unit));
                }
            }
        }
        if let Some((_, unit)) = best {
            return Some(unit);
        }
        let name = catalogue.unit_for(category)?;
        self.work_units
            .iter()
            .find(|u| u.within == within.code && u.name == name)
    }
}

#[cfg(test)]
mod tests {
    use crate::incident::{Grade, default_catalogue};
    use crate::org::demo::{self, COUNTY, TOWN};

    fn grid() -> String {
        format!("{}001", demo::village_code(0))
    }

    #[test]
    fn the_most_specific_rule_wins_and_a_grade_rule_before_an_open_one() {
        let (tree, cat) = (demo::demo_county(), default_catalogue());
        let at = |category: &str, grade: Grade, level: u32| {
            tree.suggest_unit(&cat, category, grade, &grid(), level)
                .map(|u| u.name.as_str())
        };
        // 噪音扰民 goes to 综治 (the platform's rule names 矛盾纠纷).
        assert_eq!(
            at("dispute.neighbour.noise", Grade::Ordinary, 0),
            Some("综治工作平台")
        );
        // A significant dispute goes to the justice office, whose rule names the grade.
        assert_eq!(
            at("dispute.neighbour.noise", Grade::Significant, 0),
            Some("安峰司法所")
        );
        // Land disputes: the justice office's rule is deeper.
        assert_eq!(at("dispute.land", Grade::Ordinary, 0), Some("安峰司法所"));
        assert_eq!(
            at("market.food_safety", Grade::Ordinary, 0),
            Some("安峰市场监督管理所")
        );
        assert_eq!(
            at("market.pricing", Grade::Ordinary, 0),
            Some("市场监管平台")
        );
        // Escalated: the county's units.
        assert_eq!(
            at("urban.building", Grade::Ordinary, 1),
            Some("东海县自然资源和规划局")
        );
        assert_eq!(
            at("urban.street", Grade::Ordinary, 1),
            Some("东海县综合行政执法局")
        );
        // Nothing at county level handles services, and the catalogue's default unit
        // (便民服务平台) is a town platform: no suggestion.
        assert_eq!(at("service.social", Grade::Ordinary, 1), None);
        let units = tree
            .work_units
            .iter()
            .filter(|u| u.within == COUNTY)
            .count();
        assert_eq!(units, 3);
        assert!(tree.work_units.iter().filter(|u| u.within == TOWN).count() >= 4);
    }

    #[test]
    fn without_rules_the_catalogues_default_unit_is_suggested() {
        let (mut tree, cat) = (demo::demo_county(), default_catalogue());
        for u in &mut tree.work_units {
            u.handles.clear();
        }
        let unit = tree.suggest_unit(&cat, "fire.passage", Grade::Ordinary, &grid(), 0);
        assert_eq!(unit.map(|u| u.name.as_str()), Some("综合执法平台"));
    }

    #[test]
    fn members_act_for_their_unit_over_its_area() {
        let tree = demo::demo_county();
        // The justice office's handler holds no role of their own: membership gives it.
        assert!(tree.scope_of("handler-sifa").contains(&grid()));
        assert_eq!(
            tree.roles_over("handler-sifa", &grid()),
            [crate::org::Role::DepartmentHandler]
        );
        assert!(tree.scope_of("handler-county-zrzy").all.len() == tree.grids.len());
    }

    #[test]
    fn bad_work_units_are_listed() {
        let mut tree = demo::demo_county();
        let mut twin = tree.work_units[0].clone();
        twin.members.push("nobody".into());
        twin.within = demo::village_code(0);
        tree.work_units.push(twin);
        tree.work_units[1].within = "999999999999".into();
        let problems = tree.problems().join("\n");
        assert!(problems.contains("code used twice"), "{problems}");
        assert!(
            problems.contains("member nobody is not in the staff"),
            "{problems}"
        );
        assert!(problems.contains("not for village"), "{problems}");
        assert!(
            problems.contains("unit 999999999999 is not in the tree"),
            "{problems}"
        );
    }
}
