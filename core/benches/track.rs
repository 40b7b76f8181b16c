//! GPS track benchmark: prints a table of fixes ingested per second in batches of
//! 10 and of 1,000; bytes per fix on disk for an 8-hour walking patrol at 1 Hz next
//! to the same track as GPX and as an encoded polyline with time; and the time to
//! compute the review figures with coverage for that patrol.
//!
//! `cargo bench -p fieldgrid-core --bench track`

use std::time::Instant;

use fieldgrid_core::FieldStore;
use fieldgrid_core::patrol::export::{encoded_polyline_with_time, to_gpx};
use fieldgrid_core::patrol::synthetic::{Walk, offset, sweep};
use fieldgrid_core::patrol::{FigureConfig, Fix, TravelMode, figures, simplified};
use geo::{LineString, Polygon};

const ORIGIN: (f64, f64) = (34.5, 118.7);
const SIDE_M: f64 = 1_500.0;

fn eight_hours() -> Vec<Fix> {
    let walk = Walk {
        route: sweep(ORIGIN, SIDE_M, SIDE_M, 60.0),
        speed_mps: 1.3,
        interval_ms: 1000,
        noise_m: 4.0,
        seed: 42,
    };
    let mut fixes = walk.fixes(1_760_000_000_000);
    fixes.truncate(8 * 3600);
    fixes
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Ingests `fixes` in batches into a fresh store; returns fixes per second and
/// the store and patrol.
fn ingest(
    dir: &std::path::Path,
    name: &str,
    fixes: &[Fix],
    batch: usize,
) -> (f64, FieldStore, String) {
    let store = FieldStore::open(dir.join(format!("{name}.sqlite"))).unwrap();
    store.sign_in("worker-bench");
    let id = store
        .start_patrol("320722104201001", "bench", TravelMode::Walking)
        .unwrap();
    let t = Instant::now();
    for b in fixes.chunks(batch) {
        store.ingest_fixes(&id, b).unwrap();
    }
    let rate = fixes.len() as f64 / t.elapsed().as_secs_f64();
    (rate, store, id)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let fixes = eight_hours();
    let n = fixes.len();
    let mut rows: Vec<(String, String)> = Vec::new();

    let (rate10, _, _) = ingest(dir.path(), "b10", &fixes[..6_000], 10);
    rows.push((
        "ingest, batches of 10 (each batch one durable transaction)".into(),
        format!("{rate10:.0} fixes/s"),
    ));
    let mut rates = Vec::new();
    let mut last = None;
    for run in 0..5 {
        let (r, store, id) = ingest(dir.path(), &format!("b1000-{run}"), &fixes, 1_000);
        rates.push(r);
        last = Some((store, id));
    }
    rows.push((
        "ingest, batches of 1,000 (median of 5)".into(),
        format!("{:.0} fixes/s", median(rates)),
    ));

    let (store, id) = last.unwrap();
    store.stop_patrol(&id).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("b1000-4.sqlite")).unwrap();
    let (chunks, chunk_bytes): (i64, i64) = conn
        .query_row(
            "SELECT count(*), sum(length(bytes)) FROM track_chunks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let track = store.track(&id).unwrap();
    let gpx = to_gpx("8-hour patrol", &track);
    let polyline = encoded_polyline_with_time(&track);
    rows.push((
        format!("8-hour walking patrol at 1 Hz: {n} fixes in {chunks} chunks"),
        format!(
            "{:.2} bytes/fix on disk ({:.1} KB)",
            chunk_bytes as f64 / n as f64,
            chunk_bytes as f64 / 1024.0
        ),
    ));
    rows.push((
        "  same track as GPX 1.1".into(),
        format!(
            "{:.1} bytes/fix ({:.0} KB)",
            gpx.len() as f64 / n as f64,
            gpx.len() as f64 / 1024.0
        ),
    ));
    rows.push((
        "  same track as encoded polyline with time".into(),
        format!(
            "{:.2} bytes/fix ({:.0} KB)",
            polyline.len() as f64 / n as f64,
            polyline.len() as f64 / 1024.0
        ),
    ));

    let corners = [
        (0.0, 0.0),
        (SIDE_M, 0.0),
        (SIDE_M, SIDE_M),
        (0.0, SIDE_M),
        (0.0, 0.0),
    ];
    let grid = Polygon::new(
        LineString::from(
            corners
                .iter()
                .map(|&(e, nn)| offset(ORIGIN, e, nn))
                .map(|(la, lo)| (lo, la))
                .collect::<Vec<_>>(),
        ),
        vec![],
    );
    let cfg = FigureConfig::default();
    let mut times = Vec::new();
    let mut fig = None;
    for _ in 0..21 {
        let t = Instant::now();
        fig = Some(figures(&track, Some(&grid), &[], &cfg));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let fig = fig.unwrap();
    rows.push((
        format!(
            "figures + coverage, 8-hour patrol ({:.1} km², 10 m cells), median of 21",
            SIDE_M * SIDE_M / 1e6
        ),
        format!(
            "{:.1} ms (distance {:.1} km, moving {:.1} h, coverage {:.0}%, {} stops)",
            median(times),
            fig.distance_m / 1000.0,
            fig.moving_s / 3600.0,
            fig.coverage.unwrap_or(0.0) * 100.0,
            fig.stops.len()
        ),
    ));
    let t = Instant::now();
    let line = simplified(&track, 10.0);
    rows.push((
        "simplify for display (10 m tolerance)".into(),
        format!(
            "{:.1} ms, {} → {} points",
            t.elapsed().as_secs_f64() * 1e3,
            track.len(),
            line.len()
        ),
    ));
    let t = Instant::now();
    let again = store.track(&id).unwrap();
    rows.push((
        "read the whole track back (decode chunks)".into(),
        format!("{:.1} ms", t.elapsed().as_secs_f64() * 1e3),
    ));
    assert_eq!(again.len(), n);

    println!("\n| track benchmark | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
