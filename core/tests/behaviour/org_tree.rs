//! The org tree: import rules, who works where, and which grid is here.

use fieldgrid_core::org::demo::{self, COUNTY_ADMIN, TOWN, TOWN_SUPERVISOR};
use fieldgrid_core::org::{GridKind, ImportOutcome, Role, Scope};
use fieldgrid_core::records::GeoPoint;
use fieldgrid_core::{Error, FieldStore};

fn store() -> (tempfile::TempDir, FieldStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = FieldStore::open(dir.path().join("org.sqlite")).unwrap();
    (dir, s)
}

fn codes(grids: &[fieldgrid_core::org::GridInfo]) -> Vec<&str> {
    grids.iter().map(|g| g.code.as_str()).collect()
}

#[test]
fn the_demo_county_imports_and_answers_who_works_where() {
    let (_dir, s) = store();
    let tree = demo::demo_county();
    assert_eq!(s.import_org_tree(&tree).unwrap(), ImportOutcome::Imported);
    assert_eq!(s.org_tree_version().unwrap(), Some(1));
    assert_eq!(
        s.import_org_tree(&tree).unwrap(),
        ImportOutcome::AlreadyCurrent
    );

    // A grid worker of a first-level grid works in it and the second-level grids inside.
    let v0 = demo::village_code(0);
    let worker = format!("worker-{v0}001");
    assert_eq!(
        codes(&s.grids_of(&worker).unwrap()),
        [format!("{v0}001"), format!("{v0}101"), format!("{v0}102")]
    );
    // A part-time worker of a second-level grid works only there.
    assert_eq!(
        codes(&s.grids_of(&format!("worker-{v0}101")).unwrap()),
        [format!("{v0}101")]
    );
    let roles = s.roles_of(&worker).unwrap();
    assert_eq!(roles[0].role, Role::FullTimeGridWorker);
    assert_eq!(roles[0].scope, Scope::Grid(format!("{v0}001")));
    // The town supervisor and the county administrator see every grid of the town.
    let town = s.grids_of(TOWN_SUPERVISOR).unwrap();
    assert_eq!(town.len(), tree.grids.len());
    assert_eq!(town.len(), 8 * 3 + 8 * 2 + 4);
    assert_eq!(s.grids_of(COUNTY_ADMIN).unwrap(), town);
    assert!(s.grids_of("nobody").unwrap().is_empty());
    assert!(
        town.iter()
            .any(|g| g.kind == GridKind::School && g.unit == TOWN)
    );
}

#[test]
fn points_resolve_to_the_most_specific_grid() {
    let (_dir, s) = store();
    s.import_org_tree(&demo::demo_county()).unwrap();
    let v0 = demo::village_code(0);
    // South half of village 0's first grid: the second-level grid, then its parent.
    let south = GeoPoint {
        lat: 34.505,
        lon: 118.705,
    };
    assert_eq!(
        codes(&s.grids_containing(south).unwrap()),
        [format!("{v0}101"), format!("{v0}001")]
    );
    // Inside the school: the special grid first, then the village grid it lies in.
    let school = GeoPoint {
        lat: 34.512,
        lon: 118.707,
    };
    let found = s.grids_containing(school).unwrap();
    assert_eq!(found[0].kind, GridKind::School);
    assert_eq!(codes(&found)[1..], [format!("{v0}101"), format!("{v0}001")]);
    // Village 1's second grid.
    let v1 = demo::village_code(1);
    let p = GeoPoint {
        lat: 34.53,
        lon: 118.745,
    };
    assert_eq!(codes(&s.grids_containing(p).unwrap()), [format!("{v1}002")]);
    // Outside the town, and impossible points.
    assert!(
        s.grids_containing(GeoPoint {
            lat: 34.7,
            lon: 118.0
        })
        .unwrap()
        .is_empty()
    );
    assert!(
        s.grids_containing(GeoPoint {
            lat: f64::NAN,
            lon: 118.7
        })
        .unwrap()
        .is_empty()
    );
    assert!(
        s.grids_containing(GeoPoint {
            lat: 95.0,
            lon: 118.7
        })
        .unwrap()
        .is_empty()
    );
    assert!(s.grid_polygon(&format!("{v0}001")).unwrap().is_some());
}

#[test]
fn a_broken_tree_is_refused_whole_with_every_problem_named() {
    let (_dir, s) = store();
    s.import_org_tree(&demo::demo_county()).unwrap();
    let mut bad = demo::demo_county();
    bad.version = 2;
    bad.units[2].code = "32072210420X".into();
    bad.grids[0].boundary = vec![vec![[118.7, 34.5], [f64::NAN, 34.5], [118.71, 34.51]]];
    assert_eq!(bad.grids[3].level, 1);
    bad.grids[3].parent_grid = Some("320722104201999".into());
    bad.grids[5].code = "999999999999001".into();
    bad.staff[0].roles[0].scope = Scope::Unit(TOWN.into());
    let err = s.import_org_tree(&bad).unwrap_err();
    let Error::InvalidOrgTree { problems, .. } = &err else {
        panic!("expected InvalidOrgTree, got {err}");
    };
    let text = problems.join("\n");
    for expected in [
        "code must be 12 digits",
        "impossible point",
        "first-level grid has no parent grid",
        "does not start with its unit's code",
        "held in a grid, not over a unit",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Staff names never appear in the problems, only ids and codes.
    assert!(!text.contains(&bad.staff[0].name), "{text}");
    // The stored tree is unchanged.
    assert_eq!(s.org_tree_version().unwrap(), Some(1));
    assert_eq!(s.grids_of(TOWN_SUPERVISOR).unwrap().len(), 44);
}

#[test]
fn newer_versions_replace_and_older_ones_are_refused() {
    let (_dir, s) = store();
    let mut tree = demo::demo_county();
    tree.version = 5;
    s.import_org_tree(&tree).unwrap();
    let mut older = demo::demo_county();
    older.version = 4;
    let err = s.import_org_tree(&older).unwrap_err();
    assert!(
        matches!(
            err,
            Error::StaleReferenceData {
                current: 5,
                offered: 4,
                ..
            }
        ),
        "{err}"
    );

    // Version 6 drops the special grids and their staff.
    let mut newer = demo::demo_county();
    newer.version = 6;
    newer.grids.retain(|g| !g.kind.is_special());
    let kept: std::collections::HashSet<_> = newer.grids.iter().map(|g| g.code.clone()).collect();
    newer.staff.retain(|m| {
        m.roles
            .iter()
            .all(|r| !matches!(&r.scope, Scope::Grid(g) if !kept.contains(g)))
    });
    assert_eq!(s.import_org_tree(&newer).unwrap(), ImportOutcome::Imported);
    assert_eq!(s.grids_of(TOWN_SUPERVISOR).unwrap().len(), 40);
    let school = GeoPoint {
        lat: 34.512,
        lon: 118.707,
    };
    assert!(
        s.grids_containing(school)
            .unwrap()
            .iter()
            .all(|g| !g.kind.is_special())
    );
}
