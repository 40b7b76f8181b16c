//! The rules an org tree must follow before it replaces the stored one.

use std::collections::{HashMap, HashSet};

use geo::{Area, LineString, Polygon};

use super::{Grid, OrgTree, Scope, UnitLevel};

/// Digits in an administrative division code.
pub(crate) const UNIT_CODE_LEN: usize = 12;
/// Digits in a grid code: the unit's code and a 3-digit grid number.
pub(crate) const GRID_CODE_LEN: usize = UNIT_CODE_LEN + 3;

/// Every rule the tree breaks, naming units, grids and staff by code or id only.
pub(crate) fn problems(tree: &OrgTree) -> Vec<String> {
    let mut out = Vec::new();
    if tree.version == 0 {
        out.push("version must be 1 or more".to_owned());
    }

    let mut units = HashMap::new();
    for u in &tree.units {
        if !is_digits(&u.code, UNIT_CODE_LEN) {
            out.push(format!(
                "unit {:?}: code must be {UNIT_CODE_LEN} digits",
                u.code
            ));
        }
        if units.insert(u.code.as_str(), u).is_some() {
            out.push(format!("unit {}: code used twice", u.code));
        }
    }
    let counties = tree
        .units
        .iter()
        .filter(|u| u.level == UnitLevel::County)
        .count();
    if counties != 1 {
        out.push(format!(
            "the tree must have exactly one county, found {counties}"
        ));
    }
    for u in &tree.units {
        let want_parent = match u.level {
            UnitLevel::County => None,
            UnitLevel::Town => Some((UnitLevel::County, 6)),
            UnitLevel::Village => Some((UnitLevel::Town, 9)),
        };
        match (want_parent, u.parent.as_deref().map(|p| (p, units.get(p)))) {
            (None, None) => {}
            (None, Some(_)) => out.push(format!("unit {}: a county has no parent", u.code)),
            (Some(_), None) => out.push(format!("unit {}: parent is missing", u.code)),
            (Some(_), Some((p, None))) => {
                out.push(format!("unit {}: parent {p} is not in the tree", u.code))
            }
            (Some((level, prefix)), Some((p, Some(parent)))) => {
                if parent.level != level {
                    out.push(format!(
                        "unit {}: a {} must sit under a {}, not under {p}",
                        u.code,
                        u.level.as_str(),
                        level.as_str()
                    ));
                } else if u.code.get(..prefix) != p.get(..prefix) {
                    out.push(format!(
                        "unit {}: code does not start with the first {prefix} digits of its parent {p}",
                        u.code
                    ));
                }
            }
        }
    }

    let mut grids = HashMap::new();
    for g in &tree.grids {
        if grids.insert(g.code.as_str(), g).is_some() {
            out.push(format!("grid {}: code used twice", g.code));
        }
    }
    for g in &tree.grids {
        check_grid(g, &units, &grids, &mut out);
    }

    let mut staff = HashSet::new();
    for s in &tree.staff {
        if s.id.trim().is_empty() {
            out.push("a staff member has an empty id".to_owned());
        }
        if !staff.insert(s.id.as_str()) {
            out.push(format!("staff {}: id used twice", s.id));
        }
        for a in &s.roles {
            let levels = a.role.unit_levels();
            let names = || {
                levels
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            match &a.scope {
                Scope::Grid(code) if levels.is_empty() => {
                    if !grids.contains_key(code.as_str()) {
                        out.push(format!("staff {}: grid {code} is not in the tree", s.id))
                    }
                }
                Scope::Unit(code) if !levels.is_empty() => match units.get(code.as_str()) {
                    Some(u) if levels.contains(&u.level) => {}
                    Some(_) => out.push(format!(
                        "staff {}: {} must be held over a {}, and {code} is not one",
                        s.id,
                        a.role.as_str(),
                        names()
                    )),
                    None => out.push(format!("staff {}: unit {code} is not in the tree", s.id)),
                },
                Scope::Grid(_) => out.push(format!(
                    "staff {}: {} is held over a {}, not a grid",
                    s.id,
                    a.role.as_str(),
                    names()
                )),
                Scope::Unit(_) => out.push(format!(
                    "staff {}: {} is held in a grid, not over a unit",
                    s.id,
                    a.role.as_str()
                )),
            }
        }
    }
    super::work_units::problems(tree, &units, &staff, &mut out);
    out
}

fn check_grid(
    g: &Grid,
    units: &HashMap<&str, &super::OrgUnit>,
    grids: &HashMap<&str, &Grid>,
    out: &mut Vec<String>,
) {
    if !is_digits(&g.code, GRID_CODE_LEN) {
        out.push(format!(
            "grid {:?}: code must be {GRID_CODE_LEN} digits",
            g.code
        ));
    }
    match units.get(g.unit.as_str()) {
        None => out.push(format!(
            "grid {}: unit {} is not in the tree",
            g.code, g.unit
        )),
        Some(u) if u.level == UnitLevel::County => out.push(format!(
            "grid {}: grids belong to a town or village, not to the county",
            g.code
        )),
        Some(_) if !g.code.starts_with(&g.unit) => out.push(format!(
            "grid {}: code does not start with its unit's code {}",
            g.code, g.unit
        )),
        Some(_) => {}
    }
    match (g.level, g.parent_grid.as_deref()) {
        (1, None) => {}
        (1, Some(_)) => out.push(format!(
            "grid {}: a first-level grid has no parent grid",
            g.code
        )),
        (2, None) => out.push(format!(
            "grid {}: a second-level grid needs a parent grid",
            g.code
        )),
        (2, Some(p)) => match grids.get(p) {
            Some(parent) if parent.level == 1 => {}
            Some(_) => out.push(format!(
                "grid {}: parent grid {p} is not first-level",
                g.code
            )),
            None => out.push(format!(
                "grid {}: parent grid {p} is not in the tree",
                g.code
            )),
        },
        (level, _) => out.push(format!(
            "grid {}: level must be 1 or 2, not {level}",
            g.code
        )),
    }
    if let Err(why) = polygon(&g.boundary) {
        out.push(format!("grid {}: boundary {why}", g.code));
    }
}

/// Builds the grid's polygon, or says what is wrong with its rings.
pub(crate) fn polygon(rings: &[Vec<[f64; 2]>]) -> Result<Polygon<f64>, String> {
    let Some((exterior, holes)) = rings.split_first() else {
        return Err("has no rings".to_owned());
    };
    for ring in rings {
        if let Some([lon, lat]) = ring.iter().find(|[lon, lat]| {
            !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0)
        }) {
            return Err(format!("has an impossible point [{lon}, {lat}]"));
        }
        let distinct: HashSet<(u64, u64)> = ring
            .iter()
            .map(|[a, b]| (a.to_bits(), b.to_bits()))
            .collect();
        if distinct.len() < 3 {
            return Err("has a ring with fewer than 3 distinct points".to_owned());
        }
    }
    let ring =
        |r: &Vec<[f64; 2]>| LineString::from(r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>());
    let poly = Polygon::new(ring(exterior), holes.iter().map(ring).collect());
    if poly.unsigned_area() <= 0.0 {
        return Err("encloses no area".to_owned());
    }
    Ok(poly)
}

fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}
