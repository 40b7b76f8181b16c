//! The filters every fix passes on ingestion: impossible fixes are refused with a
//! reason; standing-still jitter and impossible jumps are flagged, never deleted.

use geo::{Distance, Haversine, Point};
use serde::Serialize;

use super::fix::{Fix, flags};

pub use crate::records::TravelMode;

/// Thresholds of the filters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterConfig {
    /// Fixes less accurate than this (metres) are refused.
    pub max_accuracy_m: f32,
    /// A fix within this distance (or twice its accuracy, if larger) of the last
    /// counted fix is standing-still jitter.
    pub jitter_radius_m: f64,
}

impl Default for FilterConfig {
    fn default() -> Self {
        FilterConfig {
            max_accuracy_m: 50.0,
            jitter_radius_m: 5.0,
        }
    }
}

/// Why a fix was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Latitude or longitude not a number, or out of range.
    ImpossiblePosition,
    /// Accuracy not a number, negative, or worse than the threshold.
    PoorAccuracy,
    /// Not later than the fix before it (repeated, or the clock went backwards).
    TimeNotAdvancing,
    /// The patrol is paused or stopped.
    PatrolNotActive,
    /// The time cannot belong to this patrol: before 2000, more than a day ahead of
    /// this phone's clock, or more than [`MAX_SILENCE_MS`] after the fix before it
    /// (a receiver's week-number rollover, a clock reset, a file's stray point).
    TimeOutOfRange,
}

/// The longest silence inside one patrol: a fix later than this after the one
/// before it belongs to another day's work, not this patrol.
pub const MAX_SILENCE_MS: i64 = 24 * 3_600_000;
/// 2000-01-01T00:00:00Z: no patrol's fix is older.
const EARLIEST_MS: i64 = 946_684_800_000;

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RejectReason::ImpossiblePosition => {
                "the position is impossible (not a number or out of range)"
            }
            RejectReason::PoorAccuracy => "the accuracy is missing or worse than the limit",
            RejectReason::TimeNotAdvancing => "the time is not later than the previous fix",
            RejectReason::PatrolNotActive => "the patrol is paused or stopped",
            RejectReason::TimeOutOfRange => {
                "the time is far from the patrol's own (before 2000, a day ahead of this phone, or a day after the fix before it)"
            }
        })
    }
}

/// Where the filters stand between fixes (kept in the database).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct FilterState {
    /// Time of the last accepted fix.
    pub last_time_ms: Option<i64>,
    /// The last fix that counted (not jitter, not a jump): time, lat, lon.
    pub anchor: Option<(i64, f64, f64)>,
}

/// Accepts (with flags) or refuses one fix, and moves the state on.
pub(crate) fn judge(
    state: &mut FilterState,
    fix: &Fix,
    mode: TravelMode,
    config: &FilterConfig,
) -> Result<u8, RejectReason> {
    if !(fix.lat.is_finite()
        && fix.lon.is_finite()
        && fix.lat.abs() <= 90.0
        && fix.lon.abs() <= 180.0)
    {
        return Err(RejectReason::ImpossiblePosition);
    }
    if !(fix.accuracy_m.is_finite()
        && fix.accuracy_m >= 0.0
        && fix.accuracy_m <= config.max_accuracy_m)
    {
        return Err(RejectReason::PoorAccuracy);
    }
    if state.last_time_ms.is_some_and(|t| fix.time_ms <= t) {
        return Err(RejectReason::TimeNotAdvancing);
    }
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(i64::MAX, |d| d.as_millis() as i64);
    if fix.time_ms < EARLIEST_MS
        || fix.time_ms > now_ms.saturating_add(86_400_000)
        || state
            .last_time_ms
            .is_some_and(|t| fix.time_ms - t > MAX_SILENCE_MS)
    {
        return Err(RejectReason::TimeOutOfRange);
    }
    state.last_time_ms = Some(fix.time_ms);
    let f = if fix.mock { flags::MOCK } else { 0 };
    if let Some((t, lat, lon)) = state.anchor {
        let d = Haversine.distance(Point::new(lon, lat), Point::new(fix.lon, fix.lat));
        let dt = (fix.time_ms - t) as f64 / 1000.0;
        // Only the distance beyond both fixes' uncertainty counts as travel: at
        // 1 Hz, a few metres of noise alone would look faster than a walk. The OS's
        // accuracy is a 68% radius; the gap between two such fixes stays within
        // 3.5 of them 99.9% of the time.
        let uncertainty = 3.5 * config.jitter_radius_m.max(f64::from(fix.accuracy_m));
        if (d - uncertainty) / dt > mode.max_speed_mps() {
            return Ok(f | flags::JUMP);
        }
        // Twice the 68% accuracy radius: noise alone rarely reaches that far.
        if d < config.jitter_radius_m.max(2.0 * f64::from(fix.accuracy_m)) {
            return Ok(f | flags::JITTER);
        }
    }
    state.anchor = Some((fix.time_ms, fix.lat, fix.lon));
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_far_from_the_patrol_are_refused() {
        let t = 1_795_000_000_000;
        let fixes = [
            Fix::new(t, 34.5, 118.7, 5.0),
            // 1901: a 32-bit clock's overflow; refused, the patrol goes on.
            Fix::new(-2_145_916_800_000, 34.5, 118.7, 5.0),
            Fix::new(t + 1000, 34.50001, 118.7, 5.0),
            // Two days of silence, then a fix: another day's work.
            Fix::new(t + 2 * 86_400_000, 34.5, 118.7, 5.0),
            // A week ahead of this phone's clock.
            Fix::new(t + 300 * 86_400_000, 34.5, 118.7, 5.0),
            Fix::new(t + 2000, 34.50002, 118.7, 5.0),
        ];
        let out = run(&fixes, TravelMode::Walking);
        assert!(
            out[0].is_ok() && out[2].is_ok() && out[5].is_ok(),
            "{out:?}"
        );
        for i in [3, 4] {
            assert_eq!(out[i], Err(RejectReason::TimeOutOfRange), "{i}");
        }
        // The 1901 fix is earlier than the one before it: refused either way.
        assert!(out[1].is_err());
        let mut s = FilterState::default();
        assert_eq!(
            judge(
                &mut s,
                &fixes[1],
                TravelMode::Walking,
                &FilterConfig::default()
            ),
            Err(RejectReason::TimeOutOfRange)
        );
    }

    fn run(fixes: &[Fix], mode: TravelMode) -> Vec<Result<u8, RejectReason>> {
        let mut s = FilterState::default();
        fixes
            .iter()
            .map(|f| judge(&mut s, f, mode, &FilterConfig::default()))
            .collect()
    }

    const T: i64 = 1_760_000_000_000;
    // About 1.11 m per 1e-5 degree of latitude.
    fn at(sec: i64, north_m: f64) -> Fix {
        Fix::new(T + sec * 1000, 34.5 + north_m / 111_195.0, 118.7, 4.0)
    }

    #[test]
    fn impossible_fixes_are_refused_with_a_reason() {
        let mut nan = at(0, 0.0);
        nan.lat = f64::NAN;
        let mut far = at(1, 0.0);
        far.lon = 181.0;
        let mut poor = at(2, 0.0);
        poor.accuracy_m = 80.0;
        let out = run(
            &[nan, far, poor, at(3, 0.0), at(3, 1.0), at(2, 2.0)],
            TravelMode::Walking,
        );
        assert_eq!(out[0], Err(RejectReason::ImpossiblePosition));
        assert_eq!(out[1], Err(RejectReason::ImpossiblePosition));
        assert_eq!(out[2], Err(RejectReason::PoorAccuracy));
        assert_eq!(out[3], Ok(0));
        assert_eq!(
            out[4],
            Err(RejectReason::TimeNotAdvancing),
            "same second again"
        );
        assert_eq!(
            out[5],
            Err(RejectReason::TimeNotAdvancing),
            "clock went backwards"
        );
    }

    #[test]
    fn standing_still_is_jitter_and_walking_counts() {
        let out = run(
            &[
                at(0, 0.0),
                at(1, 1.5),
                at(2, -2.0),
                at(3, 3.0),
                at(10, 12.0),
                at(11, 13.0),
            ],
            TravelMode::Walking,
        );
        assert_eq!(
            out,
            [
                Ok(0),
                Ok(flags::JITTER),
                Ok(flags::JITTER),
                Ok(flags::JITTER),
                Ok(0),
                Ok(flags::JITTER)
            ]
        );
    }

    #[test]
    fn jumps_faster_than_the_travel_mode_are_flagged() {
        // 100 m in 5 s: 20 m/s. Too fast on foot, fine on a motorbike.
        let fixes = [at(0, 0.0), at(5, 100.0), at(10, 107.0)];
        let walking = run(&fixes, TravelMode::Walking);
        assert_eq!(walking[1], Ok(flags::JUMP));
        // The jump did not move the anchor: 107 m from the start in 10 s is still too fast.
        assert_eq!(walking[2], Ok(flags::JUMP));
        // By car both are believable; the last is 7 m on, within twice its accuracy.
        assert_eq!(
            run(&fixes, TravelMode::Driving),
            [Ok(0), Ok(0), Ok(flags::JITTER)]
        );
        let mut mock = at(20, 200.0);
        mock.mock = true;
        assert_eq!(
            run(&[at(0, 0.0), mock], TravelMode::Driving)[1],
            Ok(flags::MOCK)
        );
    }
}
