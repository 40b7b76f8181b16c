//! The demo county behind `serve --demo`: the org tree of 东海县安峰镇 and a first set
//! of households, residents and incidents, so the server has something to show.

use std::path::Path;

use fieldgrid_core::forms::sample::example_values;
use fieldgrid_core::org::GridKind;
use fieldgrid_core::org::demo::{demo_county, demo_name};
use fieldgrid_core::records::{Incident, RecordKind};
use fieldgrid_core::{FieldStore, merge_document};

use crate::storage::{DocumentSave, SaveOutcome};
use crate::{AppState, now};

/// Households seeded per first-level residential grid.
const HOUSEHOLDS_PER_GRID: usize = 8;

/// The demo supervisor's web login (printed at start).
pub const DEMO_SUPERVISOR: (&str, &str) = ("anfeng", "anfeng-demo");
/// The demo administrator's web login (printed at start).
pub const DEMO_ADMIN: (&str, &str) = ("donghai", "donghai-demo");

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Records created (0 when the server already had an org tree).
    pub records: usize,
}

/// Publishes the demo org tree and records, unless an org tree exists already.
pub async fn seed(
    state: &AppState,
    scratch_dir: &Path,
) -> Result<SeedSummary, Box<dyn std::error::Error>> {
    if state
        .storage
        .reference(crate::api::ORG_TREE)
        .await?
        .is_some()
    {
        return Ok(SeedSummary { records: 0 });
    }
    let tree = demo_county();
    crate::admin::publish_org_tree(state, &tree).await?;
    crate::admin::publish_catalogue(state, &fieldgrid_core::incident::default_catalogue()).await?;
    crate::admin::publish_form_pack(state, &fieldgrid_core::forms::default_form_pack()).await?;
    let (user, password) = DEMO_SUPERVISOR;
    crate::web::create_web_user(
        state,
        user,
        password,
        "supervisor",
        fieldgrid_core::org::demo::TOWN_SUPERVISOR,
    )
    .await?;
    let (user, password) = DEMO_ADMIN;
    crate::web::create_web_user(
        state,
        user,
        password,
        "admin",
        fieldgrid_core::org::demo::COUNTY_ADMIN,
    )
    .await?;

    // Records are written the way phones write them, in a scratch phone store.
    let path = scratch_dir.join(".demo-seed.sqlite");
    let _ = std::fs::remove_file(&path);
    let store = FieldStore::open(&path)?;
    store.sign_in("demo-seed");
    store.import_org_tree(&tree)?;
    let house_form = store.form(RecordKind::Household)?;
    let person_form = store.form(RecordKind::Person)?;
    let today = fieldgrid_core::forms::date_at(now()).to_string();
    let mut n = 0;
    for grid in tree
        .grids
        .iter()
        .filter(|g| g.level == 1 && g.kind == GridKind::Regular)
    {
        let village = tree
            .units
            .iter()
            .find(|u| u.code == grid.unit)
            .map_or("", |u| u.name.as_str());
        for i in 0..HOUSEHOLDS_PER_GRID {
            n += 1;
            let head = demo_name(n);
            // Filled through the real forms, as a cadre would.
            let mut values = example_values(&house_form, n as u64, &today);
            values.insert("basic.head_name".into(), head.clone().into());
            values.insert(
                "basic.address".into(),
                format!("安峰镇{village}{}号", n % 97 + 1).into(),
            );
            let hid = store.new_household(&grid.code, values)?.id;
            let mut values = example_values(&person_form, n as u64 * 31 + 7, &today);
            values.insert("basic.name".into(), head.clone().into());
            store.new_person(&grid.code, values, Some((&hid, "head")))?;
            if i == 0 {
                store.create(&Incident {
                    grid_code: grid.code.clone(),
                    category: "dispute.neighbour".into(),
                    description: format!("{village}两户村民因宅基地界线发生纠纷，需调解"),
                    location: None,
                    reporter_id: format!("worker-{}", grid.code),
                    reported_at: now() - 3_600 * (n as i64 % 48),
                    urgency: Default::default(),
                    transitions: vec![],
                    resident_id: None,
                    satisfaction: None,
                    photos: Vec::new(),
                })?;
            }
        }
    }
    let docs = store.documents()?;
    for doc in &docs {
        let bytes = store.changes_since(&doc.id, &[])?;
        let merged = merge_document(doc.kind, &doc.id, None, &bytes)?;
        let save = DocumentSave {
            doc_id: &doc.id,
            kind: doc.kind,
            expected_version: None,
            previous_grid: None,
            merged: &merged,
            origin_device: "demo-seed",
            at: now(),
        };
        if state.storage.save_document(&save).await? == SaveOutcome::Conflict {
            return Err(format!("demo record {} exists already", doc.id).into());
        }
    }
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(SeedSummary {
        records: docs.len(),
    })
}
