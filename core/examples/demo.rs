//! The demo county on three phones: 安峰镇's org tree is loaded, three cadres edit
//! the same household offline, their phones exchange changes and converge, a
//! conflict is shown and settled, and the store answers who changed what, which
//! grid a point is in, and a search in Chinese.
//!
//! `cargo run -p fieldgrid-core --example demo [folder]` (default `demo-data/`)

use std::path::PathBuf;

use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::records::{FieldValue, GeoPoint, Household, HouseholdMember, Person};
use fieldgrid_core::{FieldStore, SearchFilter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "demo-data".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let tree = demo::demo_county();
    let grid = format!("{}001", demo::village_code(0));

    let mut phones = Vec::new();
    for (name, user) in [
        ("liu", "cadre-liu"),
        ("wang", "cadre-wang"),
        ("zhang", "worker-zhang"),
    ] {
        let path = dir.join(format!("phone-{name}.sqlite"));
        let _ = std::fs::remove_file(&path);
        let store = FieldStore::open(&path)?;
        store.import_org_tree(&tree)?;
        store.sign_in(user);
        phones.push(store);
    }
    let [liu, wang, zhang] = &phones[..] else {
        unreachable!()
    };
    println!(
        "org tree v{}: {} units, {} grids, {} staff",
        tree.version,
        tree.units.len(),
        tree.grids.len(),
        tree.staff.len()
    );
    println!(
        "the town supervisor sees {} grids",
        liu.grids_of(TOWN_SUPERVISOR)?.len()
    );
    let here = GeoPoint {
        lat: 34.512,
        lon: 118.707,
    };
    let names: Vec<_> = liu
        .grids_containing(here)?
        .into_iter()
        .map(|g| g.name)
        .collect();
    println!(
        "a fix at {:.3},{:.3} lies in: {}",
        here.lat,
        here.lon,
        names.join(" ⊂ ")
    );

    // 刘 registers a household and its head on her phone.
    let mut house = Household::new(&grid, "安峰镇安峰村12号", "刘凤");
    house
        .fields
        .insert("basic.house_type".into(), "砖混".into());
    let hid = liu.create(&house)?;
    let pid = liu.create(&Person {
        household_id: Some(hid.clone()),
        ..Person::new(&grid, "刘凤")
    })?;
    liu.update::<Household>(&hid, |h| {
        h.members.push(HouseholdMember {
            person_id: pid.clone(),
            relation: "self".into(),
        })
    })?;
    exchange(&phones)?;

    // Offline, three edits; 刘 and 张 both change the house type.
    liu.update::<Household>(&hid, |h| {
        h.fields
            .insert("income.annual_total".into(), FieldValue::Int(52_000));
        h.fields.insert("basic.house_type".into(), "砖木".into());
    })?;
    wang.update::<Household>(&hid, |h| h.door_plate = Some("AF-0012".into()))?;
    zhang.update::<Household>(&hid, |h| {
        h.fields.insert("basic.house_type".into(), "钢混".into());
    })?;
    exchange(&phones)?;
    let merged: Household = wang.get(&hid)?;
    println!(
        "\nafter the exchange all three phones hold: {}",
        serde_json::to_string(&merged)?
    );
    for c in wang.conflicts(&hid)? {
        println!("conflict in {}: {:?}", c.path, c.values);
    }
    wang.update::<Household>(&hid, |h| {
        h.fields.insert("basic.house_type".into(), "砖混".into());
    })?;
    exchange(&phones)?;
    println!(
        "王 settles it; conflicts left on 张's phone: {}",
        zhang.conflicts(&hid)?.len()
    );

    println!("\nhistory of fields/basic.house_type:");
    for h in zhang.field_history(&hid, "fields/basic.house_type")? {
        println!(
            "  t={} by {:<14} {} -> {}",
            h.time,
            h.user_id.unwrap_or_default(),
            serde_json::to_string(&h.old)?,
            serde_json::to_string(&h.new)?
        );
    }
    for q in ["刘凤", "安峰村 12号", "AF-0012"] {
        let hits = zhang.search(q, &SearchFilter::default(), 5)?;
        let titles: Vec<_> = hits
            .iter()
            .map(|h| format!("{} ({})", h.title, h.kind))
            .collect();
        println!("search {q:<10} → {}", titles.join(", "));
    }
    println!("\nstores written to {}", dir.display());
    Ok(())
}

/// Every phone sends every other what it lacks (what the sync server will do).
fn exchange(phones: &[FieldStore]) -> fieldgrid_core::Result<()> {
    for from in phones {
        for to in phones {
            if std::ptr::eq(from, to) {
                continue;
            }
            for doc in from.documents()? {
                let have = to.heads(&doc.id).unwrap_or_default();
                to.apply_changes(doc.kind, &doc.id, &from.changes_since(&doc.id, &have)?)?;
            }
        }
    }
    Ok(())
}
