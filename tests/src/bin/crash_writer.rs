//! Writes household documents in a loop until killed, printing one line per write
//! after the call returned (so the line means "committed"): `C <id>` for a new
//! record, `U <id> <visits>` for an edit. The crash-recovery test kills it with
//! SIGKILL at random moments and checks that every printed write survived.
//!
//! Usage: `crash-writer <database> <seed>`

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
