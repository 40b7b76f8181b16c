//! The store's basic costs on a real SQLite file (synchronous=FULL, so every write
//! includes its fsync): open a store; create a 200-field record; apply one field
//! edit; load a record with 100 edits from disk; search among 10,000 households.
//!
//! `cargo bench -p fieldgrid-core --bench store`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use fieldgrid_core::org::demo::demo_name;
use fieldgrid_core::records::{FieldValue, Household};
use fieldgrid_core::{FieldStore, SearchFilter};

const GRID: &str = "320722104201001";
const MODULES: [&str; 6] = [
    "basic",
    "resources",
    "business",
    "income",
    "safety",
    "relief",
];

/// A household with 200 form answers of mixed types, as a cadre fills them in.
fn household_200(n: usize) -> Household {
    let mut h = Household::new(GRID, &format!("安峰镇安峰村{n}号"), &demo_name(n));
    for i in 0..200 {
        let key = format!("{}.f{i:03}", MODULES[i % MODULES.len()]);
        let value = match i % 5 {
            0 => FieldValue::Text(format!("第{i}项 砖混结构 自住")),
            1 => FieldValue::Int(i as i64 * 100),
            2 => FieldValue::Bool(i % 2 == 0),
            3 => FieldValue::Decimal(i as f64 * 1.5),
            _ => FieldValue::Choices(vec!["a".into(), format!("c{i}")]),
        };
        h.fields.insert(key, value);
    }
    h
}

fn bench_store(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite");
    let store = FieldStore::open(&path).unwrap();
    store.sign_in("cadre-bench");

    // 10,000 households to search among, plus their 200-field neighbour.
    let houses: Vec<Household> = (0..10_000)
        .map(|n| {
            let mut h = Household::new(
                GRID,
                &format!(
                    "安峰镇{}村{}组{}号",
                    ["安峰", "山口", "北芹", "东湖"][n % 4],
                    n % 13,
                    n
                ),
                &demo_name(n),
            );
            h.door_plate = Some(format!("AF-{n:05}"));
            h
        })
        .collect();
    let mut stored = 0;
    for chunk in houses.chunks(1_000) {
        stored += store.create_batch(chunk).unwrap().len();
    }
    let listed = store
        .count_households(&fieldgrid_core::household::HouseholdQuery {
            grids: vec![GRID.to_owned()],
            ..Default::default()
        })
        .unwrap();
    // The whole workload must be stored, counted on both sides.
    assert_eq!((stored, listed), (houses.len(), houses.len() as u64));
    println!("setup: {listed} of {} households stored", houses.len());
    let edited = store.create(&household_200(0)).unwrap();
    for i in 0..100 {
        store
            .update::<Household>(&edited, |h| {
                h.fields.insert("income.f003".into(), FieldValue::Int(i));
            })
            .unwrap();
    }

    let mut g = c.benchmark_group("store");
    g.sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    g.bench_function("open store (10,001 records)", |b| {
        b.iter(|| black_box(FieldStore::open(&path).unwrap()))
    });
    let mut n = 1;
    g.bench_function("create a 200-field record", |b| {
        b.iter(|| {
            n += 1;
            black_box(store.create(&household_200(n)).unwrap())
        })
    });
    let mut v = 0;
    g.bench_function("apply one field edit (200-field record)", |b| {
        b.iter(|| {
            v += 1;
            store
                .update::<Household>(&edited, |h| {
                    h.fields
                        .insert("basic.f000".into(), FieldValue::Text(format!("edit {v}")));
                })
                .unwrap()
        })
    });

    // A separate record with exactly 100 edits behind it, read back from disk.
    let loaded = store.create(&household_200(1)).unwrap();
    for i in 0..100 {
        store
            .update::<Household>(&loaded, |h| {
                h.fields
                    .insert(format!("safety.f{:03}", i % 200), FieldValue::Int(i));
            })
            .unwrap();
    }
    let reopened = FieldStore::open(&path).unwrap();
    g.bench_function("load a record with 100 edits", |b| {
        b.iter(|| black_box(reopened.get::<Household>(&loaded).unwrap()))
    });

    let all = SearchFilter::default();
    assert!(!reopened.search("刘凤", &all, 20).unwrap().is_empty());
    g.bench_function("search 10,000 households: 刘凤 (top 20)", |b| {
        b.iter(|| black_box(reopened.search("刘凤", &all, 20).unwrap()))
    });
    g.bench_function("search 10,000 households: 山口村 3组 (top 20)", |b| {
        b.iter(|| black_box(reopened.search("山口村 3组", &all, 20).unwrap()))
    });
    g.bench_function("search 10,000 households: door plate AF-04321", |b| {
        b.iter(|| black_box(reopened.search("AF-04321", &all, 20).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench_store);
criterion_main!(benches);
