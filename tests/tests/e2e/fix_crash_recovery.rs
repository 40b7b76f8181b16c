//! A process ingesting GPS fixes in batches is killed with SIGKILL at random
//! moments, 25 times; after each kill every fix it had acknowledged is in the
//! track exactly once, in order, whether sealed into a chunk or still open.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use fieldgrid_core::FieldStore;
use fieldgrid_tests::crash::run_until_killed;
use rand::{Rng, SeedableRng};

const KILLS: u64 = 25;

#[test]
fn every_acknowledged_fix_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.sqlite");
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    for run in 0..KILLS {
        let mut writer = Command::new(env!("CARGO_BIN_EXE_crash-writer"));
        writer.arg(&db).arg(run.to_string()).arg("fixes");
        let seen = run_until_killed(
            writer,
            rng.random_range(1..40),
            Duration::from_micros(rng.random_range(0..3_000)),
        );
        for line in seen {
            let parts: Vec<u64> = line
                .split(' ')
                .skip(1)
                .map(|p| p.parse().unwrap())
                .collect();
            acked.extend(parts[0]..parts[0] + parts[1]);
        }

        let store = FieldStore::open(&db).unwrap();
        assert!(store.integrity_check().unwrap().is_empty(), "run {run}");
        let patrol = store.patrols_of("worker-crash").unwrap()[0].id.clone();
        let track = store.track(&patrol).unwrap();
        // Numbered 0..n without gaps or repeats, times strictly increasing (no fix
        // stored twice), on the walk's one-second clock.
        assert!(
            track.iter().enumerate().all(|(i, f)| f.seq == i as u64),
            "run {run}: numbering broken"
        );
        assert!(
            track
                .windows(2)
                .all(|w| w[0].fix.time_ms < w[1].fix.time_ms),
            "run {run}: a fix is stored twice"
        );
        assert!(
            track
                .iter()
                .all(|f| (f.fix.time_ms - 1_760_000_000_000) % 1000 == 0)
        );
        let stored: BTreeSet<u64> = track.iter().map(|f| f.seq).collect();
        let lost: Vec<_> = acked.difference(&stored).take(5).collect();
        assert!(
            lost.is_empty(),
            "run {run}: acknowledged fixes lost: {lost:?}"
        );
        let info = store.patrol(&patrol).unwrap();
        assert_eq!(info.fixes as usize, track.len());
    }
    let store = FieldStore::open(&db).unwrap();
    let patrol = store.patrols_of("worker-crash").unwrap()[0].id.clone();
    let info = store.patrol(&patrol).unwrap();
    eprintln!(
        "{KILLS} kills: {} fixes acknowledged, {} stored, {} chunks sealed",
        acked.len(),
        info.fixes,
        info.chunks
    );
    assert!(info.chunks >= 2, "kills never met a sealed chunk");
}
