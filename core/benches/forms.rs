//! Household and person benchmark: open and validate a 177-field person record;
//! save one field edit through the form; list a village's 10,000 households with a
//! filter; search by name among 30,000 persons. Prints a table of medians.
//!
//! `cargo bench -p fieldgrid-core --bench forms`

use std::hint::black_box;
use std::time::{Duration, Instant};

use fieldgrid_core::forms::sample::{every_answer, example_values};
use fieldgrid_core::household::HouseholdQuery;
use fieldgrid_core::org::demo::{demo_county, demo_name, village_code};
use fieldgrid_core::records::{FieldValue, Household, Person, RecordKind};
use fieldgrid_core::{FieldStore, SearchFilter};

const TODAY: &str = "2026-11-24";

/// Runs `f` `n` times and returns the median and the 90th percentile.
fn measure(n: usize, mut f: impl FnMut(usize)) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[n / 2], times[n * 9 / 10])
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = FieldStore::open(dir.path().join("bench.sqlite")).unwrap();
    store.import_org_tree(&demo_county()).unwrap();
    store.sign_in("worker-bench");
    let house_form = store.form(RecordKind::Household).unwrap();
    let person_form = store.form(RecordKind::Person).unwrap();
    let village = village_code(0);
    let grids: Vec<String> = (1..=3).map(|g| format!("{village}{g:03}")).collect();

    // 10,000 households in village 0, filled through the house form's answers.
    let started = Instant::now();
    let households: Vec<Household> = (0..10_000u64)
        .map(|n| {
            let mut h = Household::new(
                &grids[n as usize % 3],
                &format!("安峰镇山口村{}组{}号", n % 12 + 1, n),
                &demo_name(n as usize),
            );
            let mut values = example_values(&house_form, n, TODAY);
            house_form.calculate(
                &mut values,
                fieldgrid_core::forms::parse_date(TODAY).unwrap(),
            );
            for (k, v) in values {
                if !k.starts_with("basic.head_name")
                    && !k.starts_with("basic.address")
                    && k != "basic.location"
                {
                    h.fields.insert(k, v);
                }
            }
            h.door_plate = Some(fieldgrid_core::household::new_plate_code());
            h
        })
        .collect();
    for chunk in households.chunks(1000) {
        store.create_batch(chunk).unwrap();
    }
    let households_s = started.elapsed();
    // The whole workload must be stored: counted back through the lists.
    let stored_households = store
        .count_households(&HouseholdQuery {
            grids: grids.clone(),
            ..HouseholdQuery::default()
        })
        .unwrap();
    assert_eq!(
        stored_households,
        households.len() as u64,
        "households stored"
    );

    // 30,000 persons across the town with demo names.
    let started = Instant::now();
    let persons: Vec<Person> = (0..30_000usize)
        .map(|n| {
            let mut p = Person::new(
                &format!("{}{:03}", village_code(n % 8), n % 3 + 1),
                &demo_name(n * 7 + 3),
            );
            p.fields.insert(
                "basic.current_address".into(),
                FieldValue::Text(format!("安峰镇{}号", n % 500)),
            );
            p
        })
        .collect();
    let mut stored_persons = 0;
    for chunk in persons.chunks(2000) {
        stored_persons += store.create_batch(chunk).unwrap().len();
    }
    assert_eq!(stored_persons, persons.len(), "persons stored");
    let persons_s = started.elapsed();

    // One person with every one of the 177 questions answered.
    let values = every_answer(&person_form, 4242);
    let mut person = Person::new(&grids[0], "刘凤英");
    for (k, v) in values.clone() {
        match k.as_str() {
            "basic.name" => {}
            "basic.id_number" => {
                person.id_number = Some(match v {
                    FieldValue::Text(s) => s,
                    _ => unreachable!(),
                })
            }
            _ => {
                person.fields.insert(k, v);
            }
        }
    }
    let pid = store.create(&person).unwrap();
    let answered = store.get::<Person>(&pid).unwrap().fields.len() + 2;

    let mut rows: Vec<(String, (Duration, Duration))> = Vec::new();
    rows.push((
        format!("open + validate a person record ({answered} answered fields)"),
        measure(200, |_| {
            let report = store.form_report(&pid).unwrap();
            black_box(report.problems.len());
        }),
    ));
    let heights = ["160", "161"];
    rows.push((
        "save one field edit through the form (fsync included)".into(),
        measure(200, |i| {
            let v = FieldValue::Int(heights[i % 2].parse().unwrap());
            black_box(
                store
                    .save_fields(&pid, &[("health.height_cm".into(), Some(v))])
                    .unwrap(),
            );
        }),
    ));
    let low = HouseholdQuery {
        village: Some(village.clone()),
        filters: vec![("income.low_income".into(), "yes".into())],
        limit: 10_000,
        ..Default::default()
    };
    let matched = store.list_households(&low).unwrap().len();
    rows.push((
        format!("list the village's 10,000 households, filter low income ({matched} rows)"),
        measure(100, |_| {
            black_box(store.list_households(&low).unwrap());
        }),
    ));
    let first_page = HouseholdQuery {
        limit: 50,
        ..low.clone()
    };
    rows.push((
        "same filter, first page of 50".into(),
        measure(200, |_| {
            black_box(store.list_households(&first_page).unwrap());
        }),
    ));
    let danger = HouseholdQuery {
        village: Some(village.clone()),
        filters: vec![("safety.grade".into(), "d".into())],
        limit: 10_000,
        ..Default::default()
    };
    let matched_d = store.list_households(&danger).unwrap().len();
    rows.push((
        format!("list the village's households of safety grade D ({matched_d} rows)"),
        measure(100, |_| {
            black_box(store.list_households(&danger).unwrap());
        }),
    ));
    let filter = SearchFilter {
        kinds: vec![RecordKind::Person],
        grid_codes: Vec::new(),
    };
    let names = ["刘凤", "王建国", "陈", "张秀兰"];
    let hits = store.search(names[0], &filter, 20).unwrap().len();
    rows.push((
        format!("search a name among 30,000 persons (top 20; \"刘凤\" → {hits})"),
        measure(200, |i| {
            black_box(store.search(names[i % names.len()], &filter, 20).unwrap());
        }),
    ));
    rows.push((
        "find a resident by ID-card number (exact)".into(),
        measure(200, |_| {
            black_box(
                store
                    .find_residents(person.id_number.as_deref().unwrap(), &[], 20)
                    .unwrap(),
            );
        }),
    ));

    println!();
    println!(
        "setup: {stored_households} of {} households stored in {:.1} s, {stored_persons} of {} persons in {:.1} s",
        households.len(),
        households_s.as_secs_f64(),
        persons.len(),
        persons_s.as_secs_f64()
    );
    println!();
    println!("| operation | median | p90 |");
    println!("|---|---|---|");
    for (name, (median, p90)) in rows {
        println!(
            "| {name} | {:.3} ms | {:.3} ms |",
            median.as_secs_f64() * 1e3,
            p90.as_secs_f64() * 1e3
        );
    }
}
