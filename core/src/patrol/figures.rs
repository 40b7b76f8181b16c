//! The figures a supervisor reviews a patrol by: distance, duration, moving time,
//! stops, time inside and outside the grid, and how much of the grid the track
//! covered; and a simplified line for the map.

use geo::{Contains, Coord, Distance, Geodesic, LineString, Point, Polygon, SimplifyIdx};
use serde::Serialize;

use super::fix::StoredFix;
use crate::records::TrackBreak;

/// Thresholds of the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FigureConfig {
    /// Slower than this between fixes is not moving (m/s).
    pub moving_speed_mps: f64,
    /// Fixes further apart than this are not joined (seconds): the track had a gap.
    pub max_gap_s: f64,
    /// Staying within this radius…
    pub stop_radius_m: f64,
    /// …at least this long is a stop (seconds).
    pub stop_min_s: f64,
    /// A place counts as covered within this distance of the track (metres).
    pub coverage_radius_m: f64,
    /// Side of the cells the grid is divided into for coverage (metres).
    pub cell_m: f64,
}

impl Default for FigureConfig {
    fn default() -> Self {
        FigureConfig {
            moving_speed_mps: 0.5,
            max_gap_s: 120.0,
            stop_radius_m: 25.0,
            stop_min_s: 180.0,
            coverage_radius_m: 30.0,
            cell_m: 10.0,
        }
    }
}

/// A place the worker stayed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stop {
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lon: f64,
    /// Arrival, unix ms.
    pub start_ms: i64,
    /// Departure, unix ms.
    pub end_ms: i64,
}

/// The review figures of one patrol's track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolFigures {
    /// Geodesic length of the track (jitter and jumps left out), metres.
    pub distance_m: f64,
    /// From the first to the last fix, seconds.
    pub duration_s: f64,
    /// Time spent moving, seconds.
    pub moving_s: f64,
    /// Places stayed at least `stop_min_s`.
    pub stops: Vec<Stop>,
    /// Time inside the grid, seconds (without a grid: 0).
    pub inside_s: f64,
    /// Time outside the grid, seconds.
    pub outside_s: f64,
    /// Share of the grid's area within `coverage_radius_m` of the track, 0 to 1.
    pub coverage: Option<f64>,
    /// Fixes the figures used.
    pub fixes_used: usize,
    /// Fixes left out (jitter, jumps).
    pub fixes_flagged: usize,
}

/// A local flat projection (metres east and north of a reference point), accurate
/// to well under 0.1% over a township.
#[derive(Debug, Clone, Copy)]
struct Local {
    lat0: f64,
    lon0: f64,
    kx: f64,
    ky: f64,
}

impl Local {
    const R: f64 = 6_371_008.8;

    fn around(lat0: f64, lon0: f64) -> Self {
        let ky = Self::R * std::f64::consts::PI / 180.0;
        Local {
            lat0,
            lon0,
            kx: ky * lat0.to_radians().cos(),
            ky,
        }
    }

    fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }

    fn latlon(&self, x: f64, y: f64) -> (f64, f64) {
        (self.lat0 + y / self.ky, self.lon0 + x / self.kx)
    }
}

/// Computes the figures; `grid` is the patrolled grid's polygon (lon/lat);
/// `breaks` are the patrol log's pauses and recording breaks, across which no
/// line is drawn however short they are.
pub fn figures(
    track: &[StoredFix],
    grid: Option<&Polygon<f64>>,
    breaks: &[TrackBreak],
    cfg: &FigureConfig,
) -> PatrolFigures {
    let used: Vec<&StoredFix> = track.iter().filter(|f| f.counts()).collect();
    // Time spent, inside or not, includes standing still: jumps alone are left out.
    let timed: Vec<&StoredFix> = track
        .iter()
        .filter(|f| f.flags & super::fix::flags::JUMP == 0)
        .collect();
    let mut out = PatrolFigures {
        distance_m: 0.0,
        duration_s: match (track.first(), track.last()) {
            (Some(a), Some(b)) => (b.fix.time_ms - a.fix.time_ms) as f64 / 1000.0,
            _ => 0.0,
        },
        moving_s: 0.0,
        stops: Vec::new(),
        inside_s: 0.0,
        outside_s: 0.0,
        coverage: None,
        fixes_used: used.len(),
        fixes_flagged: track.len() - used.len(),
    };
    let Some(first) = used.first() else {
        return out;
    };
    let local = Local::around(first.fix.lat, first.fix.lon);

    // Distance and speed on a lightly smoothed line (each point averaged with its
    // neighbours): GPS noise zigzags across the true path and would add length.
    // A gap longer than `max_gap_s` ends a segment: segments are measured apart,
    // never joined by a straight line, and no point is averaged across a gap.
    let gap = |a: &StoredFix, b: &StoredFix| {
        let (ta, tb) = (a.fix.time_ms, b.fix.time_ms);
        (tb - ta) as f64 / 1000.0 > cfg.max_gap_s
            || breaks.iter().any(|k| k.from_ms < tb && k.to_ms > ta)
    };
    let mut segments: Vec<&[&StoredFix]> = Vec::new();
    let mut start = 0;
    for i in 1..=used.len() {
        if i == used.len() || gap(used[i - 1], used[i]) {
            segments.push(&used[start..i]);
            start = i;
        }
    }
    for seg in segments {
        let smooth: Vec<(f64, f64, i64)> = (0..seg.len())
            .map(|i| {
                let f = &seg[i].fix;
                if i == 0 || i + 1 == seg.len() {
                    return (f.lat, f.lon, f.time_ms);
                }
                let (a, c) = (&seg[i - 1].fix, &seg[i + 1].fix);
                (
                    (a.lat + f.lat + c.lat) / 3.0,
                    (a.lon + f.lon + c.lon) / 3.0,
                    f.time_ms,
                )
            })
            .collect();
        for w in smooth.windows(2) {
            let (a, b) = (w[0], w[1]);
            let d = Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0));
            out.distance_m += d;
            let dt = (b.2 - a.2) as f64 / 1000.0;
            if dt > 0.0 && d / dt >= cfg.moving_speed_mps {
                out.moving_s += dt;
            }
        }
    }

    out.stops = stops(&timed, &local, cfg);

    if let Some(poly) = grid {
        for w in timed.windows(2) {
            let dt = (w[1].fix.time_ms - w[0].fix.time_ms) as f64 / 1000.0;
            if gap(w[0], w[1]) {
                continue;
            }
            if poly.contains(&Point::new(w[0].fix.lon, w[0].fix.lat)) {
                out.inside_s += dt;
            } else {
                out.outside_s += dt;
            }
        }
        out.coverage = Some(coverage(&used, poly, cfg));
    }
    out
}

fn stops(fixes: &[&StoredFix], local: &Local, cfg: &FigureConfig) -> Vec<Stop> {
    let mut out = Vec::new();
    let mut start = 0;
    let r2 = cfg.stop_radius_m * cfg.stop_radius_m;
    let xy: Vec<(f64, f64)> = fixes
        .iter()
        .map(|f| local.xy(f.fix.lat, f.fix.lon))
        .collect();
    let close = |start: usize, end: usize, out: &mut Vec<Stop>| {
        let (a, b) = (&fixes[start].fix, &fixes[end].fix);
        if (b.time_ms - a.time_ms) as f64 / 1000.0 >= cfg.stop_min_s {
            let n = (end - start + 1) as f64;
            let (sx, sy) = xy[start..=end]
                .iter()
                .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
            let (lat, lon) = local.latlon(sx / n, sy / n);
            out.push(Stop {
                lat,
                lon,
                start_ms: a.time_ms,
                end_ms: b.time_ms,
            });
        }
    };
    for i in 1..fixes.len() {
        let (dx, dy) = (xy[i].0 - xy[start].0, xy[i].1 - xy[start].1);
        if dx * dx + dy * dy > r2 {
            close(start, i - 1, &mut out);
            start = i;
        }
    }
    if !fixes.is_empty() {
        close(start, fixes.len() - 1, &mut out);
    }
    out
}

/// Share of the polygon's cells whose centre lies within the coverage radius of a
/// track segment.
fn coverage(fixes: &[&StoredFix], poly: &Polygon<f64>, cfg: &FigureConfig) -> f64 {
    let Some(c0) = poly.exterior().0.first() else {
        return 0.0;
    };
    let local = Local::around(c0.y, c0.x);
    let ring = |ls: &LineString<f64>| {
        LineString::from(
            ls.0.iter()
                .map(|c| local.xy(c.y, c.x))
                .map(|(x, y)| Coord { x, y })
                .collect::<Vec<_>>(),
        )
    };
    let flat = Polygon::new(
        ring(poly.exterior()),
        poly.interiors().iter().map(ring).collect(),
    );
    let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in &flat.exterior().0 {
        minx = minx.min(c.x);
        miny = miny.min(c.y);
        maxx = maxx.max(c.x);
        maxy = maxy.max(c.y);
    }
    let cell = cfg.cell_m.max(1.0);
    let nx = ((maxx - minx) / cell).ceil().max(1.0) as usize;
    let ny = ((maxy - miny) / cell).ceil().max(1.0) as usize;
    if nx.saturating_mul(ny) > 4_000_000 {
        // A grid this large at this cell size: coarsen rather than run out of memory.
        let scale = ((nx * ny) as f64 / 4_000_000.0).sqrt().ceil();
        return coverage(
            fixes,
            poly,
            &FigureConfig {
                cell_m: cell * scale,
                ..*cfg
            },
        );
    }
    let centre = |ix: usize, iy: usize| {
        (
            minx + (ix as f64 + 0.5) * cell,
            miny + (iy as f64 + 0.5) * cell,
        )
    };
    let mut inside = vec![false; nx * ny];
    let mut total = 0usize;
    for iy in 0..ny {
        for ix in 0..nx {
            let (x, y) = centre(ix, iy);
            if flat.contains(&Coord { x, y }) {
                inside[iy * nx + ix] = true;
                total += 1;
            }
        }
    }
    if total == 0 {
        return 0.0;
    }
    let mut covered = vec![false; nx * ny];
    let r = cfg.coverage_radius_m;
    let pts: Vec<(f64, f64, i64)> = fixes
        .iter()
        .map(|f| {
            let (x, y) = local.xy(f.fix.lat, f.fix.lon);
            (x, y, f.fix.time_ms)
        })
        .collect();
    let mut mark = |ax: f64, ay: f64, bx: f64, by: f64| {
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let lo_x = (((ax.min(bx) - r - minx) / cell).floor().max(0.0)) as usize;
        let hi_x = (((ax.max(bx) + r - minx) / cell).ceil().max(0.0) as usize).min(nx);
        let lo_y = (((ay.min(by) - r - miny) / cell).floor().max(0.0)) as usize;
        let hi_y = (((ay.max(by) + r - miny) / cell).ceil().max(0.0) as usize).min(ny);
        for iy in lo_y..hi_y {
            for ix in lo_x..hi_x {
                let k = iy * nx + ix;
                if covered[k] || !inside[k] {
                    continue;
                }
                let (px, py) = centre(ix, iy);
                let t = if len2 > 0.0 {
                    (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (ax + t * dx - px, ay + t * dy - py);
                if qx * qx + qy * qy <= r * r {
                    covered[k] = true;
                }
            }
        }
    };
    for (i, p) in pts.iter().enumerate() {
        match pts.get(i + 1) {
            Some(q) if ((q.2 - p.2) as f64 / 1000.0) <= cfg.max_gap_s => mark(p.0, p.1, q.0, q.1),
            _ => mark(p.0, p.1, p.0, p.1),
        }
    }
    covered.iter().filter(|c| **c).count() as f64 / total as f64
}

/// The track for display: counted fixes simplified (Douglas-Peucker) so that no
/// point of the original is further than `tolerance_m` from the line. Returns
/// `(lat, lon)` pairs.
pub fn simplified(track: &[StoredFix], tolerance_m: f64) -> Vec<(f64, f64)> {
    let used: Vec<&StoredFix> = track.iter().filter(|f| f.counts()).collect();
    let Some(first) = used.first() else {
        return Vec::new();
    };
    let local = Local::around(first.fix.lat, first.fix.lon);
    let line = LineString::from(
        used.iter()
            .map(|f| {
                let (x, y) = local.xy(f.fix.lat, f.fix.lon);
                Coord { x, y }
            })
            .collect::<Vec<_>>(),
    );
    line.simplify_idx(tolerance_m)
        .into_iter()
        .map(|i| (used[i].fix.lat, used[i].fix.lon))
        .collect()
}
