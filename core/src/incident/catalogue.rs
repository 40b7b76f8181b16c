//! The incident category catalogue: three levels, as townships classify what grid
//! workers report, with default deadlines per category. Versioned reference data
//! sent by the server (`/v1/reference/catalogue`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::deadlines::StageDeadlines;
pub use crate::records::Grade;

/// One category, with its sub-categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// The code, e.g. `dispute.neighbour.boundary` or a township's `010203`: it
    /// begins with its parent's code.
    pub code: String,
    /// Chinese label shown in the apps.
    pub name: String,
    /// English label, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
    /// Deadlines for this category and below (unless a child sets its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<StageDeadlines>,
    /// The default grade for this category and below (unless a child sets its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    /// The code of the unit that handles it by default, for this category and
    /// below (unless a child names its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The day (`YYYY-MM-DD`, China time) from which no new case may take this
    /// category or any below it; cases reported before keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_on: Option<String>,
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

/// Why a case may not take a category code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryRefusal {
    /// The catalogue has no such code.
    #[error("事件类别 {0} 不在类别目录中")]
    Unknown(String),
    /// The category (or one above it) is retired.
    #[error("事件类别 {code}（{name}）自 {on} 起停用，请选用其他类别")]
    Retired {
        /// The code asked for.
        code: String,
        /// Its Chinese name.
        name: String,
        /// The day it was retired.
        on: String,
    },
}

impl Catalogue {
    /// The category with this code and the categories above it, top first; empty
    /// if there is no such code.
    pub fn path(&self, code: &str) -> Vec<&Category> {
        fn walk<'a>(level: &'a [Category], code: &str, out: &mut Vec<&'a Category>) -> bool {
            for c in level {
                if c.code == code {
                    out.push(c);
                    return true;
                }
                if code.starts_with(c.code.as_str()) {
                    out.push(c);
                    if walk(&c.children, code, out) {
                        return true;
                    }
                    out.pop();
                }
            }
            false
        }
        let mut out = Vec::new();
        walk(&self.categories, code, &mut out);
        out
    }

    /// The category with this code, if any.
    pub fn find(&self, code: &str) -> Option<&Category> {
        self.path(code).pop()
    }

    /// The deadlines for a category: its own, or its nearest parent's, or the
    /// default.
    pub fn deadlines_for(&self, code: &str) -> StageDeadlines {
        self.path(code)
            .iter()
            .rev()
            .find_map(|c| c.deadlines)
            .unwrap_or(self.default_deadlines)
    }

    /// The default grade for a category: its own or its nearest parent's.
    pub fn grade_for(&self, code: &str) -> Option<Grade> {
        self.path(code).iter().rev().find_map(|c| c.grade)
    }

    /// The time allowed for a case of `code` at `urgency`: the category's
    /// deadlines shortened by its grade and the urgency
    /// ([`StageDeadlines::for_case`]).
    pub fn deadlines_for_case(
        &self,
        code: &str,
        urgency: crate::records::Urgency,
    ) -> StageDeadlines {
        self.deadlines_for(code)
            .for_case(self.grade_for(code), urgency)
    }

    /// The unit that handles a category by default: its own or its nearest
    /// parent's.
    pub fn unit_for(&self, code: &str) -> Option<&str> {
        self.path(code).iter().rev().find_map(|c| c.unit.as_deref())
    }

    /// The category's names from the top, e.g. `矛盾纠纷 › 邻里纠纷 › 噪音扰民`;
    /// the code itself when the catalogue does not know it.
    pub fn display_path(&self, code: &str) -> String {
        let path = self.path(code);
        if path.is_empty() {
            return code.to_owned();
        }
        path.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" › ")
    }

    /// Whether a case reported at `at` (unix seconds) may take `code`: the code
    /// must name a category, and neither it nor any above it may be retired by
    /// then.
    pub fn check_code(&self, code: &str, at: i64) -> Result<&Category, CategoryRefusal> {
        let path = self.path(code);
        let Some(found) = path.last() else {
            return Err(CategoryRefusal::Unknown(code.to_owned()));
        };
        for c in &path {
            if let Some(on) = &c.retired_on
                && crate::time::day_start(on).is_some_and(|start| at >= start)
            {
                return Err(CategoryRefusal::Retired {
                    code: code.to_owned(),
                    name: found.name.clone(),
                    on: on.clone(),
                });
            }
        }
        Ok(found)
    }

    /// Every category, depth first, with its level (1 to 3).
    pub fn all(&self) -> Vec<(usize, &Category)> {
        fn walk<'a>(level: &'a [Category], depth: usize, out: &mut Vec<(usize, &'a Category)>) {
            for c in level {
                out.push((depth, c));
                walk(&c.children, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.categories, 1, &mut out);
        out
    }

    /// How many categories each level holds (first, second, third).
    pub fn counts(&self) -> [usize; 3] {
        let mut n = [0; 3];
        for (depth, _) in self.all() {
            if let Some(slot) = n.get_mut(depth - 1) {
                *slot += 1;
            }
        }
        n
    }

    /// Every rule the catalogue breaks, in Chinese for the people who keep it:
    /// codes present, of plain characters and unique, each beginning with its
    /// parent's; names present; at most three levels; deadlines of at least a day,
    /// dispatch no later than closing; retirement days real dates.
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
            let code = &c.code;
            if code.is_empty() {
                out.push(format!("类别“{}”没有编码", c.name));
            } else if !code
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
            {
                out.push(format!("类别编码 {code:?} 只能含字母、数字和 . _ -"));
            }
            if depth > 3 {
                out.push(format!("类别 {code}：超过三级"));
            }
            if !seen.insert(code.clone()) {
                out.push(format!("类别编码 {code} 重复"));
            }
            if c.name.trim().is_empty() {
                out.push(format!("类别 {code}：没有名称"));
            }
            if let Some(p) = parent
                && !extends(code, p)
            {
                out.push(format!("类别 {code}：编码须以上级编码 {p} 开头"));
            }
            if let Some(d) = c.deadlines {
                if d.dispatch_days == 0 || d.resolve_days == 0 {
                    out.push(format!("类别 {code}：时限至少为 1 天"));
                } else if d.dispatch_days > d.resolve_days {
                    out.push(format!("类别 {code}：派遣时限不能长于办结时限"));
                }
            }
            if let Some(on) = &c.retired_on
                && crate::time::parse_date(on).is_none()
            {
                out.push(format!(
                    "类别 {code}：停用日期 {on:?} 不是 YYYY-MM-DD 格式的日期"
                ));
            }
            for child in &c.children {
                walk(child, Some(code), depth + 1, seen, out);
            }
        }
        for c in &self.categories {
            walk(c, None, 1, &mut seen, &mut out);
        }
        if self.categories.is_empty() {
            out.push("类别目录是空的".into());
        }
        out
    }
}

/// Whether `code` is a child code of `parent`: the parent's code and one more
/// segment, dotted (`dispute` → `dispute.noise`) or not (`01` → `0103`).
fn extends(code: &str, parent: &str) -> bool {
    code.strip_prefix(parent)
        .is_some_and(|rest| match rest.strip_prefix('.') {
            Some(seg) => !seg.is_empty() && !seg.contains('.'),
            None => !rest.is_empty() && !rest.contains('.'),
        })
}

/// The catalogue townships start from: 11 first-level, 79 second-level and 304
/// third-level categories of typical grid work, urgent dangers with shorter
/// deadlines and a higher default grade. Shipped as
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
