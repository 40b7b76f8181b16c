//! The org tree on the phone: importing it, and asking it who works where and
//! which grid is here.

use geo::{BoundingRect, Intersects, Point, Polygon};
use rusqlite::{Connection, OptionalExtension, params};

use super::FieldStore;
use crate::error::{Error, Result};
use crate::org::{
    GridInfo, GridKind, ImportOutcome, OrgTree, Role, RoleAssignment, Scope, validate,
};
use crate::records::GeoPoint;

impl FieldStore {
    /// Replaces the stored org tree with a newer version, in one transaction.
    ///
    /// The tree is checked first and refused whole, listing every problem, if it
    /// breaks a rule; a version older than the stored one is refused; the same
    /// version again changes nothing.
    pub fn import_org_tree(&self, tree: &OrgTree) -> Result<ImportOutcome> {
        let problems = validate::problems(tree);
        if !problems.is_empty() {
            return Err(Error::InvalidOrgTree {
                version: tree.version,
                problems,
            });
        }
        self.write(|tx| {
            if let Some(current) = org_version(tx)? {
                if current == tree.version {
                    return Ok(ImportOutcome::AlreadyCurrent);
                }
                if current > tree.version {
                    return Err(Error::StaleReferenceData {
                        what: "org tree",
                        current,
                        offered: tree.version,
                    });
                }
            }
            replace_tree(tx, tree)?;
            Ok(ImportOutcome::Imported)
        })
    }

    /// The version of the stored org tree, if one was imported.
    pub fn org_tree_version(&self) -> Result<Option<u64>> {
        org_version(&self.conn())
    }

    /// A person's name in the org tree, if they are in it.
    pub fn staff_name(&self, staff_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT name FROM staff WHERE id = ?1", [staff_id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The roles a person holds.
    pub fn roles_of(&self, staff_id: &str) -> Result<Vec<RoleAssignment>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT role, grid, unit FROM staff_roles WHERE staff = ?1")?;
        let rows = stmt.query_map([staff_id], |r| {
            let role: String = r.get(0)?;
            let grid: Option<String> = r.get(1)?;
            let unit: Option<String> = r.get(2)?;
            Ok((role, grid, unit))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (role, grid, unit) = row?;
            let Ok(role) = serde_json::from_value::<Role>(serde_json::Value::String(role)) else {
                continue;
            };
            let scope = match (grid, unit) {
                (Some(g), _) => Scope::Grid(g),
                (None, Some(u)) => Scope::Unit(u),
                (None, None) => continue,
            };
            out.push(RoleAssignment { role, scope });
        }
        Ok(out)
    }

    /// The grids a person works in: grids they hold a role in and the second-level
    /// grids inside those, or every grid of the town or county they supervise.
    pub fn grids_of(&self, staff_id: &str) -> Result<Vec<GridInfo>> {
        let conn = self.conn();
        let sql = format!(
            "WITH RECURSIVE
               units_in(code) AS (
                 SELECT unit FROM staff_roles WHERE staff = ?1 AND unit IS NOT NULL
                 UNION
                 SELECT u.code FROM org_units u JOIN units_in ON u.parent = units_in.code),
               grids_in(code) AS (
                 SELECT grid FROM staff_roles WHERE staff = ?1 AND grid IS NOT NULL
                 UNION
                 SELECT code FROM grids WHERE unit IN (SELECT code FROM units_in)
                 UNION
                 SELECT g.code FROM grids g JOIN grids_in ON g.parent_grid = grids_in.code)
             SELECT {GRID_COLUMNS} FROM grids g WHERE g.code IN (SELECT code FROM grids_in)
             ORDER BY g.code"
        );
        let mut stmt = conn.prepare(&sql)?;
        let grids = stmt
            .query_map([staff_id], grid_info)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(grids)
    }

    /// The grids whose boundary contains `point` (boundary included), the most
    /// specific first: special grids (a school, a hospital...), then second-level grids,
    /// then first-level grids.
    pub fn grids_containing(&self, point: GeoPoint) -> Result<Vec<GridInfo>> {
        if !point.is_valid() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let sql = format!(
            "SELECT {GRID_COLUMNS}, g.boundary FROM grid_bounds b JOIN grids g ON g.id = b.id
             WHERE b.min_lon <= ?1 AND b.max_lon >= ?1 AND b.min_lat <= ?2 AND b.max_lat >= ?2"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params![point.lon, point.lat], |r| {
            Ok((grid_info(r)?, r.get::<_, String>(6)?))
        })?;
        let here = Point::new(point.lon, point.lat);
        let mut found = Vec::new();
        for row in rows {
            let (grid, boundary) = row?;
            if parse_boundary(&boundary).is_some_and(|p| p.intersects(&here)) {
                found.push(grid);
            }
        }
        found.sort_by_key(|g| {
            (
                !g.kind.is_special(),
                std::cmp::Reverse(g.level),
                g.code.clone(),
            )
        });
        Ok(found)
    }

    /// A grid's boundary polygon, if the grid exists.
    pub fn grid_polygon(&self, code: &str) -> Result<Option<Polygon<f64>>> {
        let boundary: Option<String> = self
            .conn()
            .query_row("SELECT boundary FROM grids WHERE code = ?1", [code], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(boundary.as_deref().and_then(parse_boundary))
    }
}

/// The key of the org tree in `reference_versions`.
const ORG_TREE: &str = crate::kind::ReferenceKind::OrgTree.as_str();

const GRID_COLUMNS: &str = "g.code, g.name, g.level, g.kind, g.unit, g.parent_grid";

fn grid_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<GridInfo> {
    let kind: String = r.get(3)?;
    Ok(GridInfo {
        code: r.get(0)?,
        name: r.get(1)?,
        level: r.get(2)?,
        kind: serde_json::from_value(serde_json::Value::String(kind)).unwrap_or(GridKind::Regular),
        unit: r.get(4)?,
        parent_grid: r.get(5)?,
    })
}

fn parse_boundary(json: &str) -> Option<Polygon<f64>> {
    let rings: Vec<Vec<[f64; 2]>> = serde_json::from_str(json).ok()?;
    validate::polygon(&rings).ok()
}

fn org_version(conn: &Connection) -> Result<Option<u64>> {
    let v: Option<i64> = conn
        .query_row(
            "SELECT version FROM reference_versions WHERE what = ?1",
            [ORG_TREE],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.map(|v| v as u64))
}

fn replace_tree(conn: &Connection, tree: &OrgTree) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM work_units; DELETE FROM work_unit_members; DELETE FROM staff_roles; DELETE FROM staff; DELETE FROM grid_bounds;
         UPDATE grids SET parent_grid = NULL; DELETE FROM grids;
         UPDATE org_units SET parent = NULL; DELETE FROM org_units;",
    )?;
    // Parents first, so that foreign keys hold row by row.
    let mut units: Vec<_> = tree.units.iter().collect();
    units.sort_by_key(|u| u.level as u8);
    for u in units {
        conn.execute(
            "INSERT INTO org_units (code, name, level, parent) VALUES (?1, ?2, ?3, ?4)",
            params![u.code, u.name, u.level.as_str(), u.parent],
        )?;
    }
    let mut grids: Vec<_> = tree.grids.iter().collect();
    grids.sort_by_key(|g| g.level);
    for g in grids {
        let poly = validate::polygon(&g.boundary).map_err(|why| Error::InvalidOrgTree {
            version: tree.version,
            problems: vec![format!("grid {}: boundary {why}", g.code)],
        })?;
        conn.execute(
            "INSERT INTO grids (code, name, level, kind, unit, parent_grid, boundary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                g.code,
                g.name,
                g.level,
                g.kind.as_str(),
                g.unit,
                g.parent_grid,
                serde_json::to_string(&g.boundary).unwrap_or_default()
            ],
        )?;
        let id = conn.last_insert_rowid();
        if let Some(rect) = poly.bounding_rect() {
            conn.execute(
                "INSERT INTO grid_bounds (id, min_lon, max_lon, min_lat, max_lat)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, rect.min().x, rect.max().x, rect.min().y, rect.max().y],
            )?;
        }
    }
    for w in &tree.work_units {
        conn.execute(
            "INSERT INTO work_units (code, name, kind, within) VALUES (?1, ?2, ?3, ?4)",
            params![
                w.code,
                w.name,
                serde_json::to_value(w.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
                w.within
            ],
        )?;
        for m in &w.members {
            conn.execute(
                "INSERT OR IGNORE INTO work_unit_members (unit, staff) VALUES (?1, ?2)",
                params![w.code, m],
            )?;
        }
    }
    for s in &tree.staff {
        conn.execute(
            "INSERT INTO staff (id, name) VALUES (?1, ?2)",
            params![s.id, s.name],
        )?;
        for a in &tree.roles_with_units(&s.id) {
            let (grid, unit) = match &a.scope {
                Scope::Grid(g) => (Some(g), None),
                Scope::Unit(u) => (None, Some(u)),
            };
            conn.execute(
                "INSERT INTO staff_roles (staff, role, grid, unit) VALUES (?1, ?2, ?3, ?4)",
                params![s.id, a.role.as_str(), grid, unit],
            )?;
        }
    }
    conn.execute(
        "INSERT OR REPLACE INTO reference_versions (what, version) VALUES (?1, ?2)",
        params![ORG_TREE, tree.version as i64],
    )?;
    Ok(())
}
