//! The incident category catalogue: three levels, as townships classify what grid
//! workers report, with default deadlines per category. Versioned reference data
//! sent by the server (`/v1/reference/catalogue`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::deadlines::StageDeadlines;

/// One category, with its sub-categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Dotted code, e.g. `dispute.neighbour.boundary`.
    pub code: String,
    /// Chinese label shown in the apps.
    pub name: String,
    /// English label.
    pub name_en: String,
    /// Deadlines for this category and below (unless a child sets its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<StageDeadlines>,
    /// Sub-categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Category>,
}

/// One version of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// Increases with every change the server publishes.
    pub version: u64,
    /// Deadlines of categories that set none.
    pub default_deadlines: StageDeadlines,
    /// First-level categories.
    pub categories: Vec<Category>,
}

impl crate::ReferenceData for Catalogue {
    const KIND: crate::ReferenceKind = crate::ReferenceKind::Catalogue;

    fn version(&self) -> u64 {
        self.version
    }

    fn problems(&self) -> Vec<String> {
        Catalogue::problems(self)
    }
}

impl Catalogue {
    /// The category with this code, if any.
    pub fn find(&self, code: &str) -> Option<&Category> {
        let mut level = &self.categories;
        let mut found = None;
        let parts: Vec<&str> = code.split('.').collect();
        for i in 1..=parts.len() {
            let prefix = parts[..i].join(".");
            found = level.iter().find(|c| c.code == prefix);
            level = &found?.children;
        }
        found
    }

    /// The deadlines for a category: its own, or its nearest parent's, or the
    /// default.
    pub fn deadlines_for(&self, code: &str) -> StageDeadlines {
        let parts: Vec<&str> = code.split('.').collect();
        (1..=parts.len())
            .rev()
            .filter_map(|i| self.find(&parts[..i].join(".")).and_then(|c| c.deadlines))
            .next()
            .unwrap_or(self.default_deadlines)
    }

    /// Every rule the catalogue breaks: codes unique, dotted under their parent, at
    /// most three levels, deadlines of at least a day.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        fn walk(
            c: &Category,
            parent: Option<&str>,
            depth: usize,
            seen: &mut HashSet<String>,
            out: &mut Vec<String>,
        ) {
            if depth > 3 {
                out.push(format!("category {}: deeper than three levels", c.code));
            }
            if !seen.insert(c.code.clone()) {
                out.push(format!("category {}: code used twice", c.code));
            }
            let ok_code = match parent {
                None => !c.code.contains('.') && !c.code.is_empty(),
                Some(p) => c
                    .code
                    .strip_prefix(p)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| !r.is_empty() && !r.contains('.')),
            };
            if !ok_code {
                out.push(format!(
                    "category {}: code must extend its parent's by one segment",
                    c.code
                ));
            }
            if let Some(d) = c.deadlines
                && (d.dispatch_days == 0 || d.resolve_days == 0)
            {
                out.push(format!(
                    "category {}: deadlines must be at least a day",
                    c.code
                ));
            }
            for child in &c.children {
                walk(child, Some(&c.code), depth + 1, seen, out);
            }
        }
        for c in &self.categories {
            walk(c, None, 1, &mut seen, &mut out);
        }
        out
    }
}

/// The catalogue townships start from: 11 first-level categories with realistic
/// second and third levels, urgent dangers with shorter deadlines. Shipped as
/// data (`core/forms/catalogue.json`, next to the form packs); a township's own
/// version comes from the server as reference data.
pub fn default_catalogue() -> Catalogue {
    serde_json::from_str(include_str!("../../forms/catalogue.json"))
        .expect("core/forms/catalogue.json is checked by the catalogue tests")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalogue_is_valid_and_inherits_deadlines() {
        let c = default_catalogue();
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        assert!(c.categories.len() >= 10);
        assert!(c.categories.iter().all(|l1| !l1.children.is_empty()));
        assert_eq!(
            c.find("fire.electric.ebike").unwrap().name,
            "电动车违规充电"
        );
        assert!(c.find("fire.nothing").is_none());
        // Own, parent's, grandparent's, default.
        assert_eq!(
            c.deadlines_for("market.food_safety.expired").resolve_days,
            2
        );
        assert_eq!(c.deadlines_for("market.pricing.scales").resolve_days, 3);
        assert_eq!(c.deadlines_for("fire.passage.blocked").resolve_days, 1);
        assert_eq!(
            c.deadlines_for("urban.building.farmland"),
            StageDeadlines::default()
        );
        assert_eq!(c.deadlines_for("no.such.code"), StageDeadlines::default());
        let mut bad = c.clone();
        bad.categories[0].children[0].code = "disputeX.neighbour".into();
        bad.categories[1].code = "dispute".into();
        assert!(bad.problems().len() >= 2);
    }
}
