//! The authenticity checks, each on a crafted track, and silence on genuine walks.

use fieldgrid_core::FieldStore;
use fieldgrid_core::patrol::authenticity::check;
use fieldgrid_core::patrol::synthetic::{Walk, offset, sweep};
use fieldgrid_core::patrol::{CheckContext, Finding, FindingKind, Fix, TravelMode};

const GRID: &str = "320722104201001";
const ORIGIN: (f64, f64) = (34.5, 118.7);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn store(dir: &tempfile::TempDir) -> FieldStore {
    let s = FieldStore::open(dir.path().join("phone.sqlite")).unwrap();
    s.sign_in("worker-1");
    s
}

fn walk(seed: u64) -> Walk {
    Walk {
        route: sweep(ORIGIN, 300.0, 300.0, 60.0),
        speed_mps: 1.3,
        interval_ms: 1000,
        noise_m: 4.0,
        seed,
    }
}

/// Records `fixes` as one patrol; returns its findings.
fn record(s: &FieldStore, mode: TravelMode, fixes: &[Fix]) -> (String, Vec<Finding>) {
    let id = s.start_patrol(GRID, "巡查", mode).unwrap();
    for b in fixes.chunks(50) {
        s.ingest_fixes(&id, b).unwrap();
    }
    s.stop_patrol(&id).unwrap();
    let findings = s.check_patrol(&id).unwrap();
    (id, findings)
}

fn kinds(f: &[Finding]) -> Vec<FindingKind> {
    f.iter().map(|x| x.kind).collect()
}

#[test]
fn genuine_walks_raise_nothing_even_on_the_same_route() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let start = now_ms() - 3 * 3_600_000;
    let (_, first) = record(&s, TravelMode::Walking, &walk(1).fixes(start));
    assert!(first.is_empty(), "{first:#?}");
    // The same route walked again (new GPS noise) is not a replay.
    let (_, second) = record(&s, TravelMode::Walking, &walk(2).fixes(start + 3_600_000));
    assert!(second.is_empty(), "{second:#?}");
}

#[test]
fn a_replayed_recording_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let start = now_ms() - 3 * 3_600_000;
    let original = walk(3).fixes(start);
    let (first_id, _) = record(&s, TravelMode::Walking, &original);
    // The same fixes, an hour later: a fake-GPS app replaying yesterday's file.
    let replay: Vec<Fix> = original
        .iter()
        .map(|f| Fix {
            time_ms: f.time_ms + 3_600_000,
            ..*f
        })
        .collect();
    let (_, findings) = record(&s, TravelMode::Walking, &replay);
    assert_eq!(kinds(&findings), [FindingKind::RepeatedTrack]);
    assert!(
        findings[0].reason.contains(&first_id),
        "{}",
        findings[0].reason
    );
    assert!(
        findings[0].reason.contains("100%"),
        "{}",
        findings[0].reason
    );
}

#[test]
fn mock_locations_impossible_speeds_and_clock_trouble_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let start = now_ms() - 3_600_000;
    let mut fixes = walk(4).fixes(start);
    for f in &mut fixes[100..130] {
        f.mock = true;
    }
    // 200 m in 10 s on foot: 72 km/h.
    for (i, f) in fixes[400..410].iter_mut().enumerate() {
        (f.lat, f.lon) = offset((f.lat, f.lon), 20.0 * (i + 1) as f64, 0.0);
    }
    // The clock steps back 30 s once.
    let mut back = fixes[600];
    back.time_ms -= 30_000;
    fixes.insert(601, back);
    let (_, findings) = record(&s, TravelMode::Walking, &fixes);
    let k = kinds(&findings);
    assert!(k.contains(&FindingKind::MockLocation), "{findings:#?}");
    assert!(k.contains(&FindingKind::ImpossibleSpeed), "{findings:#?}");
    assert!(k.contains(&FindingKind::ClockBackwards), "{findings:#?}");
    let mock = findings
        .iter()
        .find(|f| f.kind == FindingKind::MockLocation)
        .unwrap();
    assert!(mock.reason.starts_with("30 of"), "{}", mock.reason);
    let speed = findings
        .iter()
        .find(|f| f.kind == FindingKind::ImpossibleSpeed)
        .unwrap();
    assert!(speed.reason.contains("walking"), "{}", speed.reason);

    // Fix times two hours ahead of the phone's clock: it was set back.
    let ahead: Vec<Fix> = walk(5).fixes(now_ms() + 2 * 3_600_000);
    let (_, findings) = record(&s, TravelMode::Walking, &ahead);
    let skew = findings
        .iter()
        .find(|f| f.kind == FindingKind::ClockOffDevice)
        .expect("clock finding");
    assert!(skew.reason.contains(" h "), "{}", skew.reason);
}

#[test]
fn teleports_and_gaps_are_found_but_pauses_excused() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let start = now_ms() - 3_600_000;
    let mut fixes = walk(6).fixes(start);
    // Ten minutes with no fixes, then 1 km away (by car, believable speed).
    let cut = fixes.split_off(300);
    let rest: Vec<Fix> = cut
        .iter()
        .map(|f| {
            let (lat, lon) = offset((f.lat, f.lon), 1_000.0, 0.0);
            Fix {
                time_ms: f.time_ms + 600_000,
                lat,
                lon,
                ..*f
            }
        })
        .collect();
    fixes.extend(rest);
    let (_, findings) = record(&s, TravelMode::Driving, &fixes);
    assert_eq!(kinds(&findings), [FindingKind::Teleport], "{findings:#?}");
    assert!(
        findings[0].reason.contains("in a straight line"),
        "{}",
        findings[0].reason
    );

    // A gap alone is reported, unless the patrol was paused then.
    let mut gappy = walk(7).fixes(start);
    for f in &mut gappy[200..] {
        f.time_ms += 900_000;
    }
    let track: Vec<_> = gappy
        .iter()
        .enumerate()
        .map(|(i, f)| fieldgrid_core::patrol::StoredFix {
            seq: i as u64,
            fix: *f,
            flags: 0,
        })
        .collect();
    let ctx = |paused| CheckContext {
        mode: TravelMode::Walking,
        clock_backwards: 0,
        max_clock_skew_ms: 0,
        paused,
        earlier: &[],
    };
    let gap = check(&track, &ctx(&[]));
    assert_eq!(kinds(&gap), [FindingKind::Gap]);
    assert!(gap[0].reason.contains("15 min"), "{}", gap[0].reason);
    let at = gappy[199].time_ms;
    assert!(check(&track, &ctx(&[(at + 1_000, at + 900_000)])).is_empty());
}
