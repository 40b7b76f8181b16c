//! A process writing documents is killed with SIGKILL at random moments, over and
//! over; after each kill the store reopens sound, with every write the process had
//! reported as done, and with its query tables in step with its documents.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use fieldgrid_core::FieldStore;
use fieldgrid_core::records::{FieldValue, Household};
use fieldgrid_tests::crash::run_until_killed;
use rand::{Rng, SeedableRng};

const KILLS: u64 = 25;

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.sqlite");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let mut created: Vec<String> = Vec::new();
    let mut visits: HashMap<String, i64> = HashMap::new();
    let mut runs_with_writes = 0;

    for run in 0..KILLS {
        // Let it get going for a random number of writes, then kill it a random
        // moment later, while it is in the middle of its next ones.
        let mut writer = Command::new(env!("CARGO_BIN_EXE_crash-writer"));
        writer.arg(&db).arg(run.to_string());
        let seen = run_until_killed(
            writer,
            rng.random_range(1..60),
            Duration::from_micros(rng.random_range(0..5_000)),
        );

        let mut acked = 0;
        for line in seen {
            acked += 1;
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["C", id] => created.push((*id).to_owned()),
                ["U", id, n] => {
                    let n: i64 = n.parse().unwrap();
                    let v = visits.entry((*id).to_owned()).or_default();
                    *v = (*v).max(n);
                }
                _ => panic!("unexpected line {line:?}"),
            }
        }
        if acked > 1 {
            runs_with_writes += 1;
        }

        // Reopen after the crash: sound, and nothing acknowledged is missing.
        let store = FieldStore::open(&db).unwrap();
        assert_eq!(
            store.integrity_check().unwrap(),
            Vec::<String>::new(),
            "run {run}"
        );
        for id in &created {
            let h: Household = store
                .get(id)
                .unwrap_or_else(|e| panic!("run {run}: acknowledged record {id} lost: {e}"));
            let want = visits.get(id).copied().unwrap_or(0);
            let have = match h.fields.get("visit.count") {
                Some(FieldValue::Int(n)) => *n,
                _ => 0,
            };
            assert!(
                have >= want,
                "run {run}: {id} has {have} visits, {want} were acknowledged"
            );
        }
        drop(store);
        assert_tables_agree(&db, run);
    }
    eprintln!(
        "{KILLS} kills: {} records created, {} edits acknowledged, hottest record edited {} times",
        created.len(),
        visits.values().sum::<i64>(),
        visits.values().max().unwrap_or(&0)
    );
    assert!(
        runs_with_writes >= KILLS / 2,
        "only {runs_with_writes} runs wrote anything"
    );
    assert!(created.len() > KILLS as usize);
    assert!(
        visits.values().any(|&v| v > 64),
        "no record was edited enough to be compacted"
    );
}

/// Every document has exactly one query row and one search row, and vice versa.
fn assert_tables_agree(db: &std::path::Path, run: u64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let docs = count("SELECT count(*) FROM documents");
    assert_eq!(count("SELECT count(*) FROM households"), docs, "run {run}");
    assert_eq!(
        count("SELECT count(*) FROM search_index"),
        docs,
        "run {run}"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM documents d JOIN households h ON h.doc = d.id JOIN search_index s ON s.rowid = d.id"
        ),
        docs,
        "run {run}"
    );
}
