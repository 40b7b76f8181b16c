//! Checks a supervisor can trust before accepting a patrol: each finding says, in
//! words a person reads, what is suspicious and where in the track.

use std::collections::HashSet;

use geo::{Distance, Haversine, Point};
use serde::Serialize;

use super::export::iso8601;
use super::filter::TravelMode;
use super::fix::{StoredFix, flags};

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The OS reported mock locations (a fake-GPS app).
    MockLocation,
    /// Fixes implying speeds the travel mode cannot reach.
    ImpossibleSpeed,
    /// A long straight jump between two fixes, with nothing recorded in between.
    Teleport,
    /// No fixes for a long time while the patrol was recording.
    Gap,
    /// The phone's clock went backwards during the patrol.
    ClockBackwards,
    /// Fix times ahead of the phone's own clock (the clock was set back).
    ClockOffDevice,
    /// The track repeats an earlier patrol's track point for point.
    RepeatedTrack,
}

/// One suspicious finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// When in the track it starts (unix ms), if it has a place in time.
    pub at_ms: Option<i64>,
    /// What was found, for a person to read.
    pub reason: String,
}

/// What the checks know besides the track.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    /// How the worker travelled.
    pub mode: TravelMode,
    /// Fixes refused at ingestion because time went backwards.
    pub clock_backwards: u64,
    /// How far fix times ran ahead of the phone's clock when they were ingested, ms.
    pub max_clock_skew_ms: i64,
    /// Paused intervals `(from, to)` in unix ms: no fixes are expected there.
    pub paused: &'a [(i64, i64)],
    /// Earlier patrols of the same worker: `(patrol id, track)`.
    pub earlier: &'a [(String, Vec<StoredFix>)],
}

/// Thresholds of the checks.
const GAP_S: i64 = 5 * 60;
const MIN_JUMPS: usize = 3;
const TELEPORT_M: f64 = 300.0;
const CLOCK_SKEW_MS: i64 = 15 * 60 * 1000;
const REPEAT_RADIUS_M: f64 = 1.0;
const REPEAT_SHARE: f64 = 0.8;

fn hm(ms: i64) -> String {
    iso8601(ms)[11..16].to_owned()
}

fn minutes(ms: i64) -> String {
    let m = ms / 60_000;
    if m >= 60 {
        format!("{} h {} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

/// Runs every check on a patrol's track.
pub fn check(track: &[StoredFix], ctx: &CheckContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mocked: Vec<&StoredFix> = track
        .iter()
        .filter(|f| f.flags & flags::MOCK != 0)
        .collect();
    if let Some(first) = mocked.first() {
        out.push(Finding {
            kind: FindingKind::MockLocation,
            at_ms: Some(first.fix.time_ms),
            reason: format!(
                "{} of {} fixes were reported by the phone as mock locations (a fake-GPS app), the first at {} UTC",
                mocked.len(),
                track.len(),
                hm(first.fix.time_ms)
            ),
        });
    }

    // A lone outlier is an ordinary GPS error (a reflection off a building); three
    // or more are not.
    let jumps: Vec<&StoredFix> = track
        .iter()
        .filter(|f| f.flags & flags::JUMP != 0)
        .collect();
    if let (Some(first), true) = (jumps.first(), jumps.len() >= MIN_JUMPS) {
        out.push(Finding {
            kind: FindingKind::ImpossibleSpeed,
            at_ms: Some(first.fix.time_ms),
            reason: format!(
                "{} fixes imply speeds above {:.0} km/h, impossible when {}, the first at {} UTC",
                jumps.len(),
                ctx.mode.max_speed_mps() * 3.6,
                match ctx.mode {
                    TravelMode::Walking => "walking",
                    TravelMode::Cycling => "cycling",
                    TravelMode::Driving => "driving",
                },
                hm(first.fix.time_ms)
            ),
        });
    }

    let paused = |a: i64, b: i64| ctx.paused.iter().any(|&(p, q)| p < b && q > a);
    for w in track.windows(2) {
        let (a, b) = (&w[0].fix, &w[1].fix);
        let dt = b.time_ms - a.time_ms;
        let d = Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat));
        if d >= TELEPORT_M {
            out.push(Finding {
                kind: FindingKind::Teleport,
                at_ms: Some(a.time_ms),
                reason: format!(
                    "the track jumps {:.0} m in a straight line at {} UTC with no fixes in between ({} s)",
                    d,
                    hm(a.time_ms),
                    dt / 1000
                ),
            });
        } else if dt > GAP_S * 1000 && !paused(a.time_ms, b.time_ms) {
            out.push(Finding {
                kind: FindingKind::Gap,
                at_ms: Some(a.time_ms),
                reason: format!(
                    "no fixes for {} from {} UTC while the patrol was recording",
                    minutes(dt),
                    hm(a.time_ms)
                ),
            });
        }
    }

    if ctx.clock_backwards > 0 {
        out.push(Finding {
            kind: FindingKind::ClockBackwards,
            at_ms: None,
            reason: format!(
                "the phone's clock went backwards {} time(s) during the patrol (those fixes were refused)",
                ctx.clock_backwards
            ),
        });
    }
    if ctx.max_clock_skew_ms > CLOCK_SKEW_MS {
        out.push(Finding {
            kind: FindingKind::ClockOffDevice,
            at_ms: None,
            reason: format!(
                "fix times ran up to {} ahead of the phone's own clock (was the clock set back?)",
                minutes(ctx.max_clock_skew_ms)
            ),
        });
    }

    if let Some(f) = repeated(track, ctx.earlier) {
        out.push(f);
    }
    out
}

/// Whether most of the track's points lie on an earlier track's points: a replayed
/// recording, not a walk (two real walks of one route differ by metres of GPS noise).
fn repeated(track: &[StoredFix], earlier: &[(String, Vec<StoredFix>)]) -> Option<Finding> {
    let first = track.first()?;
    let (lat0, lon0) = (first.fix.lat, first.fix.lon);
    let ky = 111_195.0;
    let kx = ky * lat0.to_radians().cos();
    let cell = |lat: f64, lon: f64| {
        (
            ((lon - lon0) * kx / REPEAT_RADIUS_M).floor() as i64,
            ((lat - lat0) * ky / REPEAT_RADIUS_M).floor() as i64,
        )
    };
    for (id, other) in earlier {
        if other.is_empty() {
            continue;
        }
        let cells: HashSet<(i64, i64)> = other.iter().map(|f| cell(f.fix.lat, f.fix.lon)).collect();
        let near = track
            .iter()
            .filter(|f| {
                let (x, y) = cell(f.fix.lat, f.fix.lon);
                (-1..=1).any(|dx| (-1..=1).any(|dy| cells.contains(&(x + dx, y + dy))))
            })
            .count();
        let share = near as f64 / track.len() as f64;
        if track.len() >= 30 && share >= REPEAT_SHARE {
            return Some(Finding {
                kind: FindingKind::RepeatedTrack,
                at_ms: Some(first.fix.time_ms),
                reason: format!(
                    "{:.0}% of this track's points lie within {} m of the points of patrol {id} of {} (a replayed recording?)",
                    share * 100.0,
                    REPEAT_RADIUS_M * 2.0,
                    &iso8601(other[0].fix.time_ms)[..10]
                ),
            });
        }
    }
    None
}
