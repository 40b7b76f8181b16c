//! Importing GPX (1.0 and 1.1) tracks, to test with real recordings: every `trkpt`
//! with its position, elevation and time becomes a fix. Entities are not expanded
//! and sizes are bounded, so a hostile file costs nothing but an error.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::fix::{Fix, Provider};

/// The most points one file may hold (several days at 1 Hz).
const MAX_POINTS: usize = 500_000;
/// Accuracy given to imported fixes, which GPX does not carry (metres).
pub const IMPORTED_ACCURACY_M: f32 = 5.0;

pub use crate::error::GpxError;

/// How to read a GPX file's times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpxOptions {
    /// The zone of times written without one, minutes east of UTC (480 for China
    /// time). `None`: such points cannot be placed in time and are skipped.
    pub zoneless_offset_min: Option<i32>,
}

/// A GPX file's track points, its segments, and what could not be placed in time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpxTrack {
    /// Every point with a usable time, in document order.
    pub fixes: Vec<Fix>,
    /// The index in `fixes` where each `<trkseg>` begins.
    pub segment_starts: Vec<usize>,
    /// Points skipped: no time, an unreadable time, or a time without a zone when
    /// no zone is set for those.
    pub skipped_untimed: usize,
}

pub use crate::time::{parse_time, parse_time_with};

/// Reads every track point of a GPX document, in document order (times must carry
/// a zone; a point without a usable time is an error).
pub fn parse_gpx(xml: &str) -> Result<Vec<Fix>, GpxError> {
    let track = parse_gpx_with(xml, &GpxOptions::default())?;
    if track.skipped_untimed > 0 {
        return Err(GpxError(format!(
            "{} track points have no usable time",
            track.skipped_untimed
        )));
    }
    Ok(track.fixes)
}

/// Reads a GPX document's track points with their segments. A point whose time is
/// missing, unreadable or without a zone (unless `options` gives one) is skipped
/// and counted; the file is refused only when it is not GPX, is malformed, holds a
/// point without a position, or has no point that can be placed in time.
pub fn parse_gpx_with(xml: &str, options: &GpxOptions) -> Result<GpxTrack, GpxError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut out = GpxTrack::default();
    let mut points = 0usize;
    // The point being read: lat, lon, elevation, and its time once a <time> was
    // seen (`Some(None)`: one that could not be read).
    type Point = (f64, f64, Option<f32>, Option<Option<i64>>);
    let mut current: Option<Point> = None;
    let mut field: Option<&'static str> = None;
    let mut seen_gpx = false;
    let mut new_segment = true;
    loop {
        let event = reader.read_event().map_err(|e| {
            GpxError(format!(
                "malformed XML at byte {}: {e}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "gpx" => {
                seen_gpx = true
            }
            Event::Start(e) if e.local_name().as_ref() == "trkseg" => new_segment = true,
            Event::Start(e) if e.local_name().as_ref() == "trkpt" => {
                points += 1;
                let (mut lat, mut lon) = (None, None);
                for a in e.attributes().flatten() {
                    let v = a.value.trim().parse::<f64>().ok();
                    match a.key.local_name().as_ref() {
                        "lat" => lat = v,
                        "lon" => lon = v,
                        _ => {}
                    }
                }
                let (Some(lat), Some(lon)) = (lat, lon) else {
                    return Err(GpxError(format!(
                        "track point {points} has no valid lat and lon"
                    )));
                };
                current = Some((lat, lon, None, None));
            }
            Event::Start(e) if current.is_some() => {
                field = match e.local_name().as_ref() {
                    "ele" => Some("ele"),
                    "time" => Some("time"),
                    _ => None,
                };
            }
            Event::Text(t) => {
                if let (Some(f), Some(p)) = (field, current.as_mut()) {
                    let text = t.xml10_content();
                    match f {
                        "ele" => p.2 = text.trim().parse().ok(),
                        _ => p.3 = Some(parse_time_with(text.trim(), options.zoneless_offset_min)),
                    }
                }
            }
            Event::End(e) if e.local_name().as_ref() == "trkpt" => {
                let (lat, lon, ele, time) = current.take().unwrap_or_default();
                let Some(Some(time)) = time else {
                    out.skipped_untimed += 1;
                    continue;
                };
                let mut fix = Fix::new(time, lat, lon, IMPORTED_ACCURACY_M);
                fix.altitude_m = ele;
                fix.provider = Provider::Unknown;
                if std::mem::take(&mut new_segment) {
                    out.segment_starts.push(out.fixes.len());
                }
                out.fixes.push(fix);
                if out.fixes.len() > MAX_POINTS {
                    return Err(GpxError(format!("more than {MAX_POINTS} track points")));
                }
            }
            Event::End(_) => field = None,
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_gpx {
        return Err(GpxError("there is no <gpx> element".into()));
    }
    if points == 0 {
        return Err(GpxError("it holds no track points".into()));
    }
    if out.fixes.is_empty() {
        return Err(GpxError(format!(
            "none of its {points} track points has a usable time"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patrol::export::{iso8601, to_gpx};
    use crate::patrol::fix::StoredFix;

    #[test]
    fn times_parse_with_zones_and_fractions() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time("2026-11-24T13:13:01.25Z"),
            Some(1_795_525_981_250)
        );
        assert_eq!(
            parse_time("2026-11-24T21:13:01+08:00"),
            Some(1_795_525_981_000)
        );
        for bad in [
            "2026-13-01T00:00:00Z",
            "yesterday",
            "2026-11-24T13:13:01",
            "2026-11-24T13:13:01+8",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        // A time without a zone, read as China time by an explicit setting.
        assert_eq!(
            parse_time_with("2026-11-24T21:13:01", Some(480)),
            Some(1_795_525_981_000)
        );
        assert_eq!(parse_time_with("2026-11-24T21:13:01", None), None);
        for ms in [0, 951_782_400_000, 1_795_525_981_250] {
            assert_eq!(parse_time(&iso8601(ms)), Some(ms));
        }
    }

    #[test]
    fn exported_tracks_import_back() {
        let fixes: Vec<StoredFix> = (0..50)
            .map(|i| {
                let mut f = Fix::new(
                    1_760_000_000_000 + i * 1000,
                    34.5 + i as f64 * 1e-5,
                    118.7,
                    5.0,
                );
                f.altitude_m = Some(20.0);
                StoredFix {
                    seq: i as u64,
                    fix: f,
                    flags: 0,
                }
            })
            .collect();
        let back = parse_gpx(&to_gpx("巡查", &fixes)).unwrap();
        assert_eq!(back.len(), 50);
        for (a, b) in fixes.iter().zip(&back) {
            assert_eq!(a.fix.time_ms, b.time_ms);
            assert!((a.fix.lat - b.lat).abs() < 1e-6 && (a.fix.lon - b.lon).abs() < 1e-6);
            assert_eq!(b.altitude_m, Some(20.0));
        }
    }

    #[test]
    fn broken_files_are_refused_with_reasons() {
        let err = |x: &str| parse_gpx(x).unwrap_err().0;
        assert!(
            err("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><time>2026").contains("malformed")
                || err("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><time>2026").contains("time")
        );
        assert!(err("<kml/>").contains("no <gpx>"));
        assert!(err("<gpx version=\"1.1\"/>").contains("no track points"));
        assert!(
            err("<gpx><trk><trkseg><trkpt lat=\"x\" lon=\"2\"></trkpt></trkseg></trk></gpx>")
                .contains("lat and lon")
        );
        assert!(
            err("<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"></trkpt></trkseg></trk></gpx>")
                .contains("usable time")
        );
        // Entities are not expanded: a "billion laughs" file is just an error.
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE g [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><time>&b;</time></trkpt></trkseg></trk></gpx>";
        assert!(parse_gpx(bomb).is_err());
    }
}
