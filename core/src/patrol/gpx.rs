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

/// Why a GPX file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable GPX track: {0}")]
pub struct GpxError(pub String);

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` into unix milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, sec) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let f = &frac[..digits];
        ms = format!("{f:0<3}")[..3].parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest[1..3].parse::<i64>().ok()? * 60 + rest[4..6].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    // Days from civil (H. Hinnant).
    let (y, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + ms)
}

/// Reads every track point of a GPX document, in document order.
pub fn parse_gpx(xml: &str) -> Result<Vec<Fix>, GpxError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut out = Vec::new();
    let mut current: Option<(f64, f64, Option<f32>, Option<i64>)> = None;
    let mut field: Option<&'static str> = None;
    let mut seen_gpx = false;
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
            Event::Start(e) if e.local_name().as_ref() == "trkpt" => {
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
                        "track point {} has no valid lat and lon",
                        out.len() + 1
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
                        _ => {
                            p.3 = Some(parse_time(text.trim()).ok_or_else(|| {
                                GpxError(format!(
                                    "track point {} has an unreadable time",
                                    out.len() + 1
                                ))
                            })?)
                        }
                    }
                }
            }
            Event::End(e) if e.local_name().as_ref() == "trkpt" => {
                let (lat, lon, ele, time) = current.take().unwrap_or_default();
                let time = time.ok_or_else(|| {
                    GpxError(format!("track point {} has no time", out.len() + 1))
                })?;
                let mut fix = Fix::new(time, lat, lon, IMPORTED_ACCURACY_M);
                fix.altitude_m = ele;
                fix.provider = Provider::Unknown;
                out.push(fix);
                if out.len() > MAX_POINTS {
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
    if out.is_empty() {
        return Err(GpxError("it holds no track points".into()));
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
                .contains("no time")
        );
        // Entities are not expanded: a "billion laughs" file is just an error.
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE g [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><time>&b;</time></trkpt></trkseg></trk></gpx>";
        assert!(parse_gpx(bomb).is_err());
    }
}
