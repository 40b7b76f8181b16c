//! Writes household documents in a loop until killed, printing one line per write
//! after the call returned (so the line means "committed"): `C <id>` for a new
//! record, `U <id> <visits>` for an edit. The crash-recovery test kills it with
//! SIGKILL at random moments and checks that every printed write survived.
//!
//! With `fixes` as third argument it ingests GPS fixes of one long patrol in
//! batches of random size instead, printing `F <first_seq> <accepted>` after each
//! batch returned.
//!
//! Usage: `crash-writer <database> <seed> [fixes]`

use std::io::Write;

use fieldgrid_core::FieldStore;
use fieldgrid_core::records::{FieldValue, Household};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const GRID: &str = "320722104201001";

fn visits(h: &Household) -> i64 {
    match h.fields.get("visit.count") {
        Some(FieldValue::Int(n)) => *n,
        _ => 0,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(seed)) = (args.next(), args.next()) else {
        eprintln!("usage: crash-writer <database> <seed>");
        std::process::exit(2);
    };
    let mut rng = StdRng::seed_from_u64(seed.parse().unwrap_or(0));
    if args.next().as_deref() == Some("fixes") {
        ingest_fixes_forever(&path, &mut rng);
    }
    let store = FieldStore::open(&path).unwrap_or_else(|e| {
        eprintln!("crash-writer: {e}");
        std::process::exit(1);
    });
    store.sign_in("crash-writer");
    // Edits go to the newest few records, so that some pile up enough changes to
    // be compacted while the process may die, and
    // half of them to the oldest record.
    let docs = store.documents().unwrap();
    // UUIDv7 ids sort by creation time: the smallest is the oldest record.
    let hot = docs.iter().map(|d| d.id.clone()).min();
    let mut recent: Vec<String> = docs.into_iter().take(4).map(|d| d.id).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for n in 0u64.. {
        let roll = rng.random_range(0..100);
        if recent.is_empty() || roll < 25 {
            let mut h = Household::new(GRID, &format!("安峰镇安峰村{n}号"), "刘凤");
            h.fields.insert("visit.count".into(), FieldValue::Int(0));
            let id = store.create(&h).unwrap();
            writeln!(out, "C {id}").unwrap();
            recent.insert(0, id);
            recent.truncate(4);
        } else if roll < 30 {
            let batch: Vec<_> = (0..5)
                .map(|i| Household::new(GRID, &format!("山口村{n}-{i}号"), "王丽"))
                .collect();
            for id in store.create_batch(&batch).unwrap() {
                writeln!(out, "C {id}").unwrap();
            }
        } else {
            let id = match &hot {
                Some(hot) if rng.random_bool(0.5) => hot.clone(),
                _ => recent[rng.random_range(0..recent.len())].clone(),
            };
            let h = store
                .update::<Household>(&id, |h| {
                    let v = visits(h) + 1;
                    h.fields.insert("visit.count".into(), FieldValue::Int(v));
                    h.fields.insert(
                        format!("visit.note_{}", v % 7),
                        format!("第{v}次走访").into(),
                    );
                })
                .unwrap();
            writeln!(out, "U {id} {}", visits(&h)).unwrap();
        }
        out.flush().unwrap();
    }
}

/// The start of the crash test's patrol, unix ms.
pub const PATROL_T0: i64 = 1_760_000_000_000;

/// Ingests a long synthetic walk into one patrol, resuming after the last stored fix.
fn ingest_fixes_forever(path: &str, rng: &mut StdRng) -> ! {
    use fieldgrid_core::patrol::TravelMode;
    use fieldgrid_core::patrol::synthetic::{Walk, sweep};
    let store = FieldStore::open(path).unwrap_or_else(|e| {
        eprintln!("crash-writer: {e}");
        std::process::exit(1);
    });
    store.sign_in("worker-crash");
    let patrol = match store.patrols_of("worker-crash").unwrap().first() {
        Some(p) => p.id.clone(),
        None => store
            .start_patrol(GRID, "crash test", TravelMode::Walking)
            .unwrap(),
    };
    let last = store
        .track(&patrol)
        .unwrap()
        .last()
        .map_or(i64::MIN, |f| f.fix.time_ms);
    let walk = Walk {
        route: sweep((34.5, 118.7), 2_000.0, 2_000.0, 40.0),
        speed_mps: 1.3,
        interval_ms: 1000,
        noise_m: 3.0,
        seed: 1,
    };
    let fixes: Vec<_> = walk
        .fixes(PATROL_T0)
        .into_iter()
        .filter(|f| f.time_ms > last)
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut i = 0;
    while i < fixes.len() {
        let n = rng.random_range(1..80).min(fixes.len() - i);
        let r = store.ingest_fixes(&patrol, &fixes[i..i + n]).unwrap();
        writeln!(out, "F {} {}", r.first_seq, r.accepted).unwrap();
        out.flush().unwrap();
        i += n;
    }
    std::process::exit(0);
}
