//! Patrols through the public API: the session lifecycle and its log, batch
//! ingestion with every filter, compact chunks, and the review figures on a
//! real-looking noisy walking track.

use fieldgrid_core::patrol::synthetic::{Walk, offset, sweep};
use fieldgrid_core::patrol::{
    FigureConfig, Fix, PatrolState, RejectReason, SEAL_AFTER_FIXES, TravelMode, figures, simplified,
};
use fieldgrid_core::records::{BreakKind, PatrolEntry, PatrolEntryKind, PatrolLog};
use fieldgrid_core::{Error, FieldStore};
use geo::{LineString, Polygon};

const GRID: &str = "320722104201001";
const ORIGIN: (f64, f64) = (34.5, 118.7);
const T0: i64 = 1_760_000_000_000;

fn store(dir: &tempfile::TempDir) -> FieldStore {
    let s = FieldStore::open(dir.path().join("phone.sqlite")).unwrap();
    s.sign_in("worker-1");
    s
}

/// A `w` × `h` metre rectangle from ORIGIN, as a lon/lat polygon.
fn rectangle(w: f64, h: f64) -> Polygon<f64> {
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h), (0.0, 0.0)];
    let ring: Vec<(f64, f64)> = corners
        .iter()
        .map(|&(e, n)| offset(ORIGIN, e, n))
        .map(|(lat, lon)| (lon, lat))
        .collect();
    Polygon::new(LineString::from(ring), vec![])
}

#[test]
fn a_patrol_starts_pauses_resumes_stops_and_keeps_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let id = s
        .start_patrol(GRID, "日常巡查", TravelMode::Walking)
        .unwrap();
    assert_eq!(s.patrol(&id).unwrap().state, PatrolState::Active);
    let log: PatrolLog = s.get(&id).unwrap();
    assert_eq!(
        (log.grid_code.as_str(), log.worker_id.as_str()),
        (GRID, "worker-1")
    );

    s.add_patrol_entry(
        &id,
        PatrolEntry {
            at: T0 / 1000,
            kind: PatrolEntryKind::CheckIn,
            note: "到达村委会".into(),
            point: None,
            link: None,
        },
    )
    .unwrap();
    s.pause_patrol(&id).unwrap();
    let report = s
        .ingest_fixes(&id, &[Fix::new(T0, 34.5, 118.7, 5.0)])
        .unwrap();
    assert_eq!(report.accepted, 0);
    assert_eq!(report.rejected[0].reason, RejectReason::PatrolNotActive);
    assert!(matches!(
        s.pause_patrol(&id),
        Err(Error::InvalidPatrolState { .. })
    ));
    s.resume_patrol(&id).unwrap();
    assert_eq!(
        s.ingest_fixes(&id, &[Fix::new(T0, 34.5, 118.7, 5.0)])
            .unwrap()
            .accepted,
        1
    );
    let info = s.stop_patrol(&id).unwrap();
    assert_eq!(
        (info.state, info.fixes, info.chunks),
        (PatrolState::Stopped, 1, 1)
    );
    let err = s.resume_patrol(&id).unwrap_err();
    assert!(err.to_string().contains("stopped"), "{err}");
    let log = s.get::<PatrolLog>(&id).unwrap();
    assert_eq!(log.entries[0].note, "到达村委会");
    // The pause is in the log, where the server's review reads it.
    assert_eq!(log.breaks.len(), 1, "{:?}", log.breaks);
    assert_eq!(log.breaks[0].kind, BreakKind::Paused);
    assert!(log.breaks[0].from_ms <= log.breaks[0].to_ms);
    assert_eq!(
        log.paused(),
        vec![(log.breaks[0].from_ms, log.breaks[0].to_ms)]
    );
    // The log travels as a record; the track is not in it.
    assert_eq!(s.search("村委会", &Default::default(), 5).unwrap().len(), 1);
}

#[test]
fn an_hour_of_noisy_walking_gives_true_figures() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let id = s
        .start_patrol(GRID, "入户走访", TravelMode::Walking)
        .unwrap();

    // Sweep a 400 m square with passes 60 m apart (coverage radius 30 m: the whole
    // square is covered), at 1.3 m/s, one fix a second, 4 m of GPS noise.
    let walk = Walk {
        route: sweep(ORIGIN, 400.0, 400.0, 60.0),
        speed_mps: 1.3,
        interval_ms: 1000,
        noise_m: 4.0,
        seed: 7,
    };
    let mut fixes = walk.fixes(T0);
    let walked_s = fixes.len() as f64;
    // Halfway, a 6-minute stop at a household: jitter around one place.
    let half = fixes.len() / 2;
    let here = (fixes[half].lat, fixes[half].lon);
    let stop: Vec<Fix> = (1..=360)
        .map(|i| {
            let wobble = ((i as f64) * 0.7).sin() * 3.0;
            let (lat, lon) = offset(here, wobble, -wobble);
            Fix::new(0, lat, lon, 6.0)
        })
        .collect();
    let tail: Vec<Fix> = fixes.split_off(half + 1);
    fixes.extend(stop);
    fixes.extend(tail);
    for (i, f) in fixes.iter_mut().enumerate() {
        f.time_ms = T0 + i as i64 * 1000;
    }
    // One teleport of 800 m, and fixes that must be refused.
    let mut jump = fixes[1000];
    (jump.lat, jump.lon) = offset((jump.lat, jump.lon), 800.0, 0.0);
    fixes[1000] = jump;
    let mut nan = fixes[200];
    nan.lon = f64::NAN;
    let mut poor = fixes[300];
    poor.accuracy_m = 120.0;
    let repeat = fixes[400];
    fixes.insert(401, repeat);
    fixes[200] = nan;
    fixes[300] = poor;

    let mut accepted = 0;
    let mut refused = Vec::new();
    let mut jumps = 0;
    for (b, batch) in fixes.chunks(10).enumerate() {
        let r = s.ingest_fixes(&id, batch).unwrap();
        assert_eq!(r.first_seq, accepted);
        accepted += r.accepted;
        jumps += r.jumps;
        refused.extend(r.rejected.iter().map(|x| (b * 10 + x.index, x.reason)));
    }
    assert_eq!(
        refused,
        [
            (200, RejectReason::ImpossiblePosition),
            (300, RejectReason::PoorAccuracy),
            (401, RejectReason::TimeNotAdvancing)
        ]
    );
    assert_eq!(jumps, 1);
    let info = s.stop_patrol(&id).unwrap();
    assert_eq!(info.fixes, accepted);
    assert_eq!(info.chunks, accepted.div_ceil(SEAL_AFTER_FIXES as u64));

    // Every accepted fix exactly once, in order, after a reopen.
    drop(s);
    let s = store(&dir);
    let track = s.track(&id).unwrap();
    assert_eq!(track.len() as u64, accepted);
    assert!(track.iter().enumerate().all(|(i, f)| f.seq == i as u64));
    assert!(
        track
            .windows(2)
            .all(|w| w[0].fix.time_ms < w[1].fix.time_ms)
    );

    let grid = rectangle(400.0, 400.0);
    let cfg = FigureConfig::default();
    let fig = figures(&track, Some(&grid), &[], &cfg);
    let true_length = walk.length_m();
    assert!(
        (fig.distance_m - true_length).abs() / true_length < 0.08,
        "distance {} vs {true_length}",
        fig.distance_m
    );
    assert!(
        (fig.moving_s - walked_s).abs() / walked_s < 0.12,
        "moving {} vs {walked_s}",
        fig.moving_s
    );
    assert!(
        (fig.duration_s - (walked_s + 360.0)).abs() < 10.0,
        "{}",
        fig.duration_s
    );
    assert_eq!(fig.stops.len(), 1, "{:?}", fig.stops);
    let stopped = (fig.stops[0].end_ms - fig.stops[0].start_ms) as f64 / 1000.0;
    assert!((330.0..=400.0).contains(&stopped), "stop of {stopped} s");
    assert!(
        fieldgrid_core::patrol::synthetic::metres((fig.stops[0].lat, fig.stops[0].lon), here)
            < 10.0
    );
    assert!(
        fig.outside_s < 0.02 * fig.duration_s,
        "{} s outside",
        fig.outside_s
    );
    assert!(fig.coverage.unwrap() > 0.95, "coverage {:?}", fig.coverage);
    assert!(
        fig.fixes_flagged > 300,
        "the stop's jitter is flagged: {}",
        fig.fixes_flagged
    );

    // Half the passes: about half the grid.
    let sparse = Walk {
        route: sweep(ORIGIN, 400.0, 400.0, 120.0),
        ..walk.clone()
    };
    let id2 = s.start_patrol(GRID, "巡查", TravelMode::Walking).unwrap();
    for batch in sparse.fixes(T0).chunks(1000) {
        s.ingest_fixes(&id2, batch).unwrap();
    }
    let half_fig = figures(&s.track(&id2).unwrap(), Some(&grid), &[], &cfg);
    let c = half_fig.coverage.unwrap();
    assert!((0.4..0.6).contains(&c), "coverage {c}");
    // Walking in a neighbouring grid counts as outside.
    let elsewhere = rectangle(400.0, 400.0)
        .exterior()
        .0
        .iter()
        .map(|c| (c.x + 0.01, c.y))
        .collect::<Vec<_>>();
    let other = figures(
        &track,
        Some(&Polygon::new(LineString::from(elsewhere), vec![])),
        &[],
        &cfg,
    );
    assert!(other.inside_s < 1.0 && other.coverage.unwrap() == 0.0);

    // Simplified for the map: fewer points, same ends, and no counted fix further
    // than the tolerance from the simplified line.
    let tolerance = 12.0;
    let line = simplified(&track, tolerance);
    let counted: Vec<_> = track.iter().filter(|f| f.counts()).collect();
    assert!(
        line.len() * 3 < counted.len(),
        "{} of {}",
        line.len(),
        counted.len()
    );
    assert_eq!(line[0], (counted[0].fix.lat, counted[0].fix.lon));
    assert_eq!(
        *line.last().unwrap(),
        (
            counted.last().unwrap().fix.lat,
            counted.last().unwrap().fix.lon
        )
    );
    let xy = |(lat, lon): (f64, f64)| {
        (
            (lon - ORIGIN.1) * 111_195.0 * ORIGIN.0.to_radians().cos(),
            (lat - ORIGIN.0) * 111_195.0,
        )
    };
    let worst = counted
        .iter()
        .map(|f| {
            let p = xy((f.fix.lat, f.fix.lon));
            line.windows(2)
                .map(|w| {
                    let (a, b) = (xy(w[0]), xy(w[1]));
                    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                    let l2 = dx * dx + dy * dy;
                    let t = if l2 > 0.0 {
                        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    ((a.0 + t * dx - p.0).powi(2) + (a.1 + t * dy - p.1).powi(2)).sqrt()
                })
                .fold(f64::MAX, f64::min)
        })
        .fold(0.0, f64::max);
    assert!(
        worst <= tolerance + 0.5,
        "a fix is {worst} m from the simplified line"
    );
}

#[test]
fn a_patrol_exports_to_gpx_and_geojson_and_imports_back() {
    use fieldgrid_core::patrol::export::{to_geojson, to_gpx};
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let walk = Walk {
        route: sweep(ORIGIN, 200.0, 200.0, 50.0),
        speed_mps: 1.3,
        interval_ms: 1000,
        noise_m: 3.0,
        seed: 11,
    };
    let id = s.start_patrol(GRID, "巡查", TravelMode::Walking).unwrap();
    s.ingest_fixes(&id, &walk.fixes(T0)).unwrap();
    s.stop_patrol(&id).unwrap();
    let track = s.track(&id).unwrap();

    let geo = to_geojson(&id, &track);
    assert_eq!(geo["type"], "Feature");
    assert_eq!(geo["geometry"]["type"], "LineString");
    assert_eq!(
        geo["geometry"]["coordinates"].as_array().unwrap().len(),
        track.len()
    );
    assert_eq!(
        geo["properties"]["times"].as_array().unwrap().len(),
        track.len()
    );

    let gpx = to_gpx("巡查 & 走访", &track);
    let (copy, report) = s
        .import_gpx(GRID, "导入", TravelMode::Walking, &gpx)
        .unwrap();
    assert!(report.rejected.is_empty());
    let imported = s.track(&copy).unwrap();
    assert_eq!(imported.len(), track.len());
    let cfg = FigureConfig::default();
    let (a, b) = (
        figures(&track, None, &[], &cfg),
        figures(&imported, None, &[], &cfg),
    );
    assert!(
        (a.distance_m - b.distance_m).abs() < 0.02 * a.distance_m,
        "{} vs {}",
        a.distance_m,
        b.distance_m
    );

    // A broken file stores nothing.
    let before = s.patrols_of("worker-1").unwrap().len();
    let err = s
        .import_gpx(
            GRID,
            "x",
            TravelMode::Walking,
            "<gpx><trk><trkseg><trkpt lat=\"1\"/></trkseg></trk></gpx>",
        )
        .unwrap_err();
    assert!(err.to_string().contains("GPX"), "{err}");
    assert_eq!(s.patrols_of("worker-1").unwrap().len(), before);
}

/// A walk recorded in three segments with 12-minute gaps, each starting a kilometre
/// from where the last ended: the distance is the segments' sum (no straight line
/// across a gap), and so are the moving time and the fixes used.
#[test]
fn segments_apart_in_time_are_never_joined() {
    let cfg = FigureConfig::default();
    let mut track = Vec::new();
    let mut alone = Vec::new();
    let mut t = T0;
    for k in 0..3 {
        let start = offset(ORIGIN, 1000.0 * k as f64, 300.0 * k as f64);
        let walk = Walk {
            route: vec![
                start,
                offset(start, 0.0, 600.0),
                offset(start, 400.0, 600.0),
            ],
            speed_mps: 1.3,
            interval_ms: 2000,
            noise_m: 3.0,
            seed: 40 + k,
        };
        let fixes: Vec<_> = walk
            .fixes(t)
            .into_iter()
            .enumerate()
            .map(|(i, fix)| fieldgrid_core::patrol::fix::StoredFix {
                seq: (track.len() + i) as u64,
                fix,
                flags: 0,
            })
            .collect();
        t = fixes.last().unwrap().fix.time_ms + 12 * 60_000;
        alone.push(figures(&fixes, None, &[], &cfg));
        track.extend(fixes);
    }
    let whole = figures(&track, None, &[], &cfg);
    let sum: f64 = alone.iter().map(|f| f.distance_m).sum();
    let moving: f64 = alone.iter().map(|f| f.moving_s).sum();
    assert!(
        (whole.distance_m - sum).abs() < 1.0,
        "distance {:.0} m against the segments' {sum:.0} m",
        whole.distance_m
    );
    // Three 1 km walks (noise adds some); joining them would add 2 × 1.04 km.
    assert!((2_900.0..3_600.0).contains(&sum), "{sum}");
    assert!((whole.moving_s - moving).abs() < 1.0);
    assert_eq!(whole.fixes_used, track.len());
}

/// GPX files in the shapes other programs write (see `tests/fixtures/gpx/`).
#[test]
fn awkward_gpx_files_import_as_they_should() {
    use fieldgrid_core::patrol::gpx::{GpxOptions, parse_gpx_with, parse_time};
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/gpx/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let cfg = FigureConfig::default();

    // Segments with gaps, points without a usable time.
    let xml = fixture("segments-with-gaps.gpx");
    let (id, report) = s
        .import_gpx(GRID, "导入", TravelMode::Walking, &xml)
        .unwrap();
    assert_eq!(report.skipped_untimed, 2);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let track = parse_gpx_with(&xml, &GpxOptions::default()).unwrap();
    assert_eq!(track.segment_starts, vec![0, 100, 199]);
    assert_eq!(report.accepted, 298);
    let breaks = s.get::<PatrolLog>(&id).unwrap().breaks;
    assert_eq!(breaks.len(), 2, "{breaks:?}");
    assert!(breaks.iter().all(|b| b.kind == BreakKind::SignalLost));
    let whole = figures(&s.track(&id).unwrap(), None, &breaks, &cfg);
    let stored = s.track(&id).unwrap();
    let mut sum = 0.0;
    for w in [0, 100, 199, stored.len()].windows(2) {
        sum += figures(&stored[w[0]..w[1]], None, &[], &cfg).distance_m;
    }
    assert!(
        (whole.distance_m - sum).abs() < 1.0,
        "{} against {sum}",
        whole.distance_m
    );
    assert!(
        (1_700.0..2_400.0).contains(&sum),
        "three segments of about 650 m: {sum}"
    );

    // Segments a minute apart, closer in time than the gap setting: still not
    // joined, because the recording stopped in between.
    let xml = fixture("segments-short-gap.gpx");
    let (id, report) = s
        .import_gpx(GRID, "导入", TravelMode::Walking, &xml)
        .unwrap();
    assert_eq!(report.accepted, 80, "{:?}", report.rejected);
    let breaks = s.get::<PatrolLog>(&id).unwrap().breaks;
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    let stored = s.track(&id).unwrap();
    let apart: f64 = [0, 40, stored.len()]
        .windows(2)
        .map(|w| figures(&stored[w[0]..w[1]], None, &[], &cfg).distance_m)
        .sum();
    let whole = figures(&stored, None, &breaks, &cfg);
    let joined = figures(&stored, None, &[], &cfg);
    assert!(
        (whole.distance_m - apart).abs() < 1.0,
        "{} against the segments' {apart}",
        whole.distance_m
    );
    assert!(
        joined.distance_m > apart + 80.0,
        "without the break a 100 m line joins them: {} against {apart}",
        joined.distance_m
    );

    // Times without a zone: refused unless the zone is set.
    let xml = fixture("zoneless-local-time.gpx");
    let err = s
        .import_gpx(GRID, "导入", TravelMode::Walking, &xml)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("none of its 100 track points has a usable time"),
        "{err}"
    );
    let china = GpxOptions {
        zoneless_offset_min: Some(480),
    };
    let (id, report) = s
        .import_gpx_with(GRID, "导入", TravelMode::Walking, &xml, &china)
        .unwrap();
    assert_eq!(report.accepted, 100);
    assert_eq!(report.skipped_untimed, 0);
    assert_eq!(
        s.track(&id).unwrap()[0].fix.time_ms,
        parse_time("2026-11-20T01:30:00Z").unwrap()
    );
}
