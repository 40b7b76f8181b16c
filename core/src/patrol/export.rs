//! Exporting a patrol's track: GPX 1.1 and GeoJSON (RFC 7946) for other tools, and
//! Google's encoded polyline (with time as a third value) for compact display.

use std::fmt::Write as _;

use super::fix::StoredFix;

/// `YYYY-MM-DDTHH:MM:SS(.mmm)Z` for unix milliseconds (proleptic Gregorian, UTC).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if millis == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{millis:03}Z")
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The track as a GPX 1.1 document: one track, one segment, every accepted fix
/// with its elevation and time.
pub fn to_gpx(name: &str, track: &[StoredFix]) -> String {
    let mut out = String::with_capacity(track.len() * 110 + 512);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"Fieldgrid\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd\">\n",
    );
    let name = xml_escape(name);
    let _ = write!(out, "  <metadata><name>{name}</name>");
    if let Some(first) = track.first() {
        let _ = write!(out, "<time>{}</time>", iso8601(first.fix.time_ms));
    }
    let _ = write!(
        out,
        "</metadata>\n  <trk>\n    <name>{name}</name>\n    <trkseg>\n"
    );
    for f in track {
        let _ = write!(
            out,
            "      <trkpt lat=\"{:.6}\" lon=\"{:.6}\">",
            f.fix.lat, f.fix.lon
        );
        if let Some(ele) = f.fix.altitude_m {
            let _ = write!(out, "<ele>{ele:.1}</ele>");
        }
        let _ = writeln!(out, "<time>{}</time></trkpt>", iso8601(f.fix.time_ms));
    }
    out.push_str("    </trkseg>\n  </trk>\n</gpx>\n");
    out
}

/// The track as a GeoJSON Feature with a LineString (`[lon, lat]` or
/// `[lon, lat, elevation]`), and the fix times in `properties.times` (ISO 8601).
pub fn to_geojson(id: &str, track: &[StoredFix]) -> serde_json::Value {
    let coordinates: Vec<serde_json::Value> = track
        .iter()
        .map(|f| {
            let round = |v: f64| (v * 1e6).round() / 1e6;
            match f.fix.altitude_m {
                Some(e) => serde_json::json!([
                    round(f.fix.lon),
                    round(f.fix.lat),
                    (f64::from(e) * 10.0).round() / 10.0
                ]),
                None => serde_json::json!([round(f.fix.lon), round(f.fix.lat)]),
            }
        })
        .collect();
    let times: Vec<String> = track.iter().map(|f| iso8601(f.fix.time_ms)).collect();
    serde_json::json!({
        "type": "Feature",
        "id": id,
        "geometry": { "type": "LineString", "coordinates": coordinates },
        "properties": { "patrol": id, "times": times },
    })
}

fn push_polyline_value(out: &mut String, delta: i64) {
    let mut v = if delta < 0 { !(delta << 1) } else { delta << 1 } as u64;
    while v >= 0x20 {
        out.push(char::from(((0x20 | (v & 0x1f)) + 63) as u8));
        v >>= 5;
    }
    out.push(char::from((v + 63) as u8));
}

/// Google's encoded polyline algorithm (precision 1e-5 degree) with a third value
/// per point: the time in whole seconds, as a delta like the others.
pub fn encoded_polyline_with_time(track: &[StoredFix]) -> String {
    let mut out = String::with_capacity(track.len() * 6);
    let (mut plat, mut plon, mut pt) = (0i64, 0i64, 0i64);
    for f in track {
        let lat = (f.fix.lat * 1e5).round() as i64;
        let lon = (f.fix.lon * 1e5).round() as i64;
        let t = f.fix.time_ms.div_euclid(1000);
        push_polyline_value(&mut out, lat - plat);
        push_polyline_value(&mut out, lon - plon);
        push_polyline_value(&mut out, t - pt);
        (plat, plon, pt) = (lat, lon, t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patrol::fix::{Fix, StoredFix};

    #[test]
    fn times_are_iso_8601_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_525_981_250), "2026-11-24T13:13:01.250Z");
        assert_eq!(iso8601(-1_000), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn polyline_matches_googles_example() {
        // Google's documented example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453).
        let fixes: Vec<StoredFix> = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
            .iter()
            .enumerate()
            .map(|(i, &(lat, lon))| StoredFix {
                seq: i as u64,
                fix: Fix::new(0, lat, lon, 5.0),
                flags: 0,
            })
            .collect();
        // With time 0 each point gains a "?" (zero delta).
        assert_eq!(
            encoded_polyline_with_time(&fixes),
            "_p~iF~ps|U?_ulLnnqC?_mqNvxq`@?"
        );
    }

    #[test]
    fn gpx_escapes_names_and_geojson_uses_lon_lat() {
        let f = StoredFix {
            seq: 0,
            fix: Fix::new(1_000, 34.5, 118.7, 5.0),
            flags: 0,
        };
        let gpx = to_gpx("巡查 <A&B>", &[f]);
        assert!(gpx.contains("<name>巡查 &lt;A&amp;B&gt;</name>"));
        assert!(gpx.contains(
            "<trkpt lat=\"34.500000\" lon=\"118.700000\"><time>1970-01-01T00:00:01Z</time></trkpt>"
        ));
        let geo = to_geojson("p1", &[f]);
        assert_eq!(
            geo["geometry"]["coordinates"][0],
            serde_json::json!([118.7, 34.5])
        );
    }
}
