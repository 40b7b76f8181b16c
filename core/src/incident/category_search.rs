//! The category picker's search: a three-level catalogue searched as a cadre
//! types, by Chinese name (噪音) or by the pinyin initials of a name (zyrm for
//! 噪音扰民), offline, in well under a millisecond per keystroke.

use pinyin::ToPinyin;
use serde::Serialize;

use super::catalogue::{Catalogue, Grade};
use crate::text::normalise;

/// A category the picker offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryChoice {
    /// The code the incident stores.
    pub code: String,
    /// Its Chinese name.
    pub name: String,
    /// Its names from the top, e.g. `矛盾纠纷 › 邻里纠纷 › 噪音扰民`.
    pub path: String,
    /// 1, 2 or 3.
    pub level: u8,
    /// Its default grade (own or inherited).
    pub grade: Option<Grade>,
}

struct Entry {
    choice: CategoryChoice,
    /// The name, normalised for matching.
    name: String,
    /// The path, normalised.
    path: String,
    /// The pinyin initials of the name (`zyrm`), letters and digits kept.
    initials: String,
}

/// The catalogue prepared for searching: build once per catalogue version.
/// Retired categories (as of the day it is built) are left out.
pub struct CategoryIndex {
    entries: Vec<Entry>,
}

/// The pinyin initials of `text`: a letter per Han character, letters and
/// digits as they are (lower case), everything else dropped.
pub fn initials(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            None => None,
        })
        .collect()
}

impl CategoryIndex {
    /// Prepares `catalogue` for searching, leaving out what is retired at `at`
    /// (unix seconds).
    pub fn new(catalogue: &Catalogue, at: i64) -> CategoryIndex {
        let mut entries = Vec::new();
        let mut path: Vec<&str> = Vec::new();
        for (level, c) in catalogue.all() {
            path.truncate(level - 1);
            path.push(&c.name);
            if catalogue.check_code(&c.code, at).is_err() {
                continue;
            }
            let shown = path.join(" › ");
            entries.push(Entry {
                name: normalise(&c.name),
                path: normalise(&shown),
                initials: initials(&c.name),
                choice: CategoryChoice {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    path: shown,
                    level: level as u8,
                    grade: catalogue.grade_for(&c.code),
                },
            });
        }
        CategoryIndex { entries }
    }

    /// How many categories it offers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it offers none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The categories matching `query`, best first: the name itself, then names
    /// beginning with it, names holding it, initials beginning with it, initials
    /// holding it, and last categories under a parent that matches; deeper
    /// (more specific) categories first within each, then in catalogue order. An
    /// empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<CategoryChoice> {
        let q = normalise(query).replace(char::is_whitespace, "");
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let latin = q.chars().all(|c| c.is_ascii_alphanumeric());
        let mut hits: Vec<(u8, u8, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let rank = if e.name == q {
                0
            } else if e.name.starts_with(&q) {
                1
            } else if e.name.contains(&q) {
                2
            } else if latin && e.initials.starts_with(&q) {
                3
            } else if latin && e.initials.contains(&q) {
                4
            } else if e.path.contains(&q) {
                5
            } else {
                continue;
            };
            hits.push((rank, 3 - e.choice.level, i));
        }
        hits.sort_unstable();
        hits.into_iter()
            .take(limit)
            .map(|(_, _, i)| self.entries[i].choice.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::default_catalogue;

    fn codes(found: &[CategoryChoice]) -> Vec<&str> {
        found.iter().map(|c| c.code.as_str()).collect()
    }

    #[test]
    fn names_and_pinyin_initials_find_the_category() {
        let index = CategoryIndex::new(&default_catalogue(), 1_790_000_000);
        assert_eq!(index.len(), 11 + 79 + 304);
        assert_eq!(initials("噪音扰民"), "zyrm");
        assert_eq!(initials("12345热线"), "12345rx");
        let found = index.search("噪音", 5);
        assert_eq!(found[0].code, "dispute.neighbour.noise");
        assert_eq!(found[0].path, "矛盾纠纷 › 邻里纠纷 › 噪音扰民");
        assert_eq!(index.search("zyrm", 3)[0].code, "dispute.neighbour.noise");
        assert_eq!(index.search("ZYRM", 3)[0].code, "dispute.neighbour.noise");
        // A whole name comes before names that only hold it.
        assert_eq!(index.search("消防通道", 3)[0].code, "fire.passage");
        // Under a matching parent when the name does not match.
        let fire = index.search("消防安全", 50);
        assert_eq!(fire[0].code, "fire");
        assert!(fire.iter().any(|c| c.code == "fire.passage.blocked"));
        assert!(index.search("", 5).is_empty());
        assert!(index.search("没有这种事", 5).is_empty());
        assert_eq!(
            index.search("电动车违规充电", 10)[0].grade,
            Some(Grade::Significant)
        );
    }

    #[test]
    fn retired_categories_are_not_offered() {
        let mut catalogue = default_catalogue();
        let noise = catalogue.categories[0].children[0].children[1].clone();
        assert_eq!(noise.code, "dispute.neighbour.noise");
        catalogue.categories[0].children[0].children[1].retired_on = Some("2026-01-01".into());
        let before = crate::time::day_start("2025-12-31").unwrap();
        let after = crate::time::day_start("2026-01-01").unwrap();
        assert!(
            codes(&CategoryIndex::new(&catalogue, before).search("噪音", 5))
                .contains(&"dispute.neighbour.noise")
        );
        assert!(
            !codes(&CategoryIndex::new(&catalogue, after).search("噪音", 5))
                .contains(&"dispute.neighbour.noise")
        );
        assert!(
            catalogue
                .check_code("dispute.neighbour.noise", before)
                .is_ok()
        );
        assert_eq!(
            catalogue
                .check_code("dispute.neighbour.noise", after)
                .unwrap_err()
                .to_string(),
            "事件类别 dispute.neighbour.noise（噪音扰民）自 2026-01-01 起停用，请选用其他类别"
        );
        // Retiring a parent retires what is under it.
        catalogue.categories[0].retired_on = Some("2026-01-01".into());
        assert!(
            catalogue
                .check_code("dispute.family.marriage", after)
                .is_err()
        );
        assert!(matches!(
            catalogue.check_code("dispute.nothing", before),
            Err(crate::incident::CategoryRefusal::Unknown(_))
        ));
    }
}
