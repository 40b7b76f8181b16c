//! The track chunk format: fixes in columns, each column as zigzag varints of
//! deltas, then deflated. Latitude and longitude use deltas of deltas (a steady pace
//! makes them near zero) or plain deltas (better when GPS noise dominates the
//! motion), whichever is smaller for the chunk. Resolution: 1 ms, 1e-6 degree (about
//! 0.1 m), 1 m accuracy and altitude (phone GPS gives no finer truth), 1 cm/s,
//! 0.1 degree.
//!
//! ```text
//! "FGT" version(=1) | deflate(
//!     count, first_seq, time[count],
//!     predictor (0 delta, 1 delta of delta), lat[count], lon[count], accuracy[count],
//!     meta[count] (bits: altitude, speed, bearing present; provider ×2; flags ×3),
//!     altitude[present], speed[present], bearing[present] )
//! ```
//!
//! Decoding is strict: chunks come from phones over the network.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

use super::fix::{Fix, Provider, StoredFix};

const MAGIC: &[u8; 3] = b"FGT";
const VERSION: u8 = 1;
/// The most fixes a chunk may hold (a day at 1 Hz).
pub const MAX_CHUNK_FIXES: usize = 86_400;
/// The most bytes a chunk may inflate to.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;

/// Why a chunk could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid track chunk: {0}")]
pub struct ChunkError(pub String);

fn bad(msg: &str) -> ChunkError {
    ChunkError(msg.to_owned())
}

/// A fix quantised to storage resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantised {
    pub time_ms: i64,
    pub lat_e6: i64,
    pub lon_e6: i64,
    pub accuracy_m: i64,
    pub altitude_m: Option<i64>,
    pub speed_cms: Option<i64>,
    pub bearing_dd: Option<i64>,
    pub provider: u8,
    pub flags: u8,
}

impl Quantised {
    pub(crate) fn from_fix(fix: &Fix, flags: u8) -> Self {
        let q = |v: f64, scale: f64| (v * scale).round() as i64;
        Quantised {
            time_ms: fix.time_ms,
            lat_e6: q(fix.lat, 1e6),
            lon_e6: q(fix.lon, 1e6),
            accuracy_m: q(f64::from(fix.accuracy_m), 1.0),
            altitude_m: fix.altitude_m.map(|a| q(f64::from(a), 1.0)),
            speed_cms: fix.speed_mps.map(|s| q(f64::from(s), 100.0)),
            bearing_dd: fix.bearing_deg.map(|b| q(f64::from(b), 10.0)),
            provider: fix.provider.code(),
            flags,
        }
    }

    pub(crate) fn to_stored(self, seq: u64) -> StoredFix {
        StoredFix {
            seq,
            fix: Fix {
                time_ms: self.time_ms,
                lat: self.lat_e6 as f64 / 1e6,
                lon: self.lon_e6 as f64 / 1e6,
                accuracy_m: self.accuracy_m as f32,
                altitude_m: self.altitude_m.map(|a| a as f32),
                speed_mps: self.speed_cms.map(|s| (s as f64 / 100.0) as f32),
                bearing_deg: self.bearing_dd.map(|b| (b as f64 / 10.0) as f32),
                provider: Provider::from_code(self.provider).unwrap_or_default(),
                mock: self.flags & super::fix::flags::MOCK != 0,
            },
            flags: self.flags,
        }
    }
}

/// Writes which predictor the latitude and longitude columns use.
fn predictor_slot(out: &mut Vec<u8>, second_order: bool) {
    out.push(u8::from(second_order));
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, ChunkError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .bytes
                .get(self.pos)
                .ok_or_else(|| bad("it ends in the middle of a number"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("a number is longer than 64 bits"))
    }

    fn signed(&mut self) -> Result<i64, ChunkError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
}

/// Encodes fixes numbered from `first_seq` into a chunk.
pub(crate) fn encode(first_seq: u64, fixes: &[Quantised]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(fixes.len() * 8 + 16);
    put_varint(&mut raw, fixes.len() as u64);
    put_varint(&mut raw, first_seq);
    let mut prev = 0i64;
    for f in fixes {
        put_signed(&mut raw, f.time_ms.wrapping_sub(prev));
        prev = f.time_ms;
    }
    let lat_lon = [|f: &Quantised| f.lat_e6, |f: &Quantised| f.lon_e6];
    let candidates: Vec<Vec<u8>> = [false, true]
        .iter()
        .map(|&second_order| {
            let mut col = Vec::new();
            for column in lat_lon {
                let (mut p1, mut p2) = (0i64, 0i64);
                for (i, f) in fixes.iter().enumerate() {
                    let v = column(f);
                    let predicted = if second_order && i >= 2 {
                        p1.wrapping_mul(2).wrapping_sub(p2)
                    } else {
                        p1
                    };
                    put_signed(&mut col, v.wrapping_sub(predicted));
                    p2 = p1;
                    p1 = v;
                }
            }
            col
        })
        .collect();
    let second_order = candidates[1].len() < candidates[0].len();
    predictor_slot(&mut raw, second_order);
    raw.extend_from_slice(&candidates[usize::from(second_order)]);
    let mut prev = 0i64;
    for f in fixes {
        put_signed(&mut raw, f.accuracy_m.wrapping_sub(prev));
        prev = f.accuracy_m;
    }
    for f in fixes {
        let meta = u8::from(f.altitude_m.is_some())
            | u8::from(f.speed_cms.is_some()) << 1
            | u8::from(f.bearing_dd.is_some()) << 2
            | (f.provider & 3) << 3
            | (f.flags & 7) << 5;
        raw.push(meta);
    }
    for column in [
        |f: &Quantised| f.altitude_m,
        |f: &Quantised| f.speed_cms,
        |f: &Quantised| f.bearing_dd,
    ] {
        let mut prev = 0i64;
        for v in fixes.iter().filter_map(column) {
            put_signed(&mut raw, v.wrapping_sub(prev));
            prev = v;
        }
    }
    let mut out = Vec::with_capacity(raw.len() / 2 + 8);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    let mut z = DeflateEncoder::new(out, Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(&raw);
    z.finish().unwrap_or_default()
}

/// What a valid chunk holds, as a server checks it on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSummary {
    /// The number of its first fix in the patrol.
    pub first_seq: u64,
    /// How many fixes.
    pub fixes: u64,
    /// Time of the first fix, unix ms.
    pub first_ms: i64,
    /// Time of the last fix, unix ms.
    pub last_ms: i64,
}

/// Checks a chunk received from elsewhere, strictly, and summarises it.
pub fn check_chunk(chunk: &[u8]) -> Result<ChunkSummary, ChunkError> {
    let (first_seq, fixes) = decode(chunk)?;
    Ok(ChunkSummary {
        first_seq,
        fixes: fixes.len() as u64,
        first_ms: fixes.first().map_or(0, |f| f.time_ms),
        last_ms: fixes.last().map_or(0, |f| f.time_ms),
    })
}

/// Decodes chunks (in order) into the fixes they hold, as stored fixes.
pub fn decode_track(chunks: &[Vec<u8>]) -> Result<Vec<StoredFix>, ChunkError> {
    let mut out = Vec::new();
    for chunk in chunks {
        let (first, fixes) = decode(chunk)?;
        out.extend(
            fixes
                .into_iter()
                .enumerate()
                .map(|(i, q)| q.to_stored(first + i as u64)),
        );
    }
    Ok(out)
}

/// Decodes a chunk into its fixes (quantised) and the number of its first fix.
pub(crate) fn decode(chunk: &[u8]) -> Result<(u64, Vec<Quantised>), ChunkError> {
    let body = chunk
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| bad("it does not start with the track chunk marker"))?;
    let (&version, compressed) = body.split_first().ok_or_else(|| bad("it has no version"))?;
    if version != VERSION {
        return Err(ChunkError(format!(
            "version {version} is not supported (this app reads version {VERSION})"
        )));
    }
    let mut raw = Vec::new();
    DeflateDecoder::new(compressed)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut raw)
        .map_err(|e| ChunkError(format!("its compressed data is damaged ({e})")))?;
    if raw.len() as u64 > MAX_INFLATED {
        return Err(bad("it inflates beyond the size limit"));
    }
    let mut r = Reader {
        bytes: &raw,
        pos: 0,
    };
    let count = r.varint()? as usize;
    if count == 0 || count > MAX_CHUNK_FIXES {
        return Err(ChunkError(format!(
            "it claims {count} fixes (1 to {MAX_CHUNK_FIXES} allowed)"
        )));
    }
    // Every fix needs at least 5 bytes of columns: a claimed count that the data
    // cannot hold is refused before anything is allocated for it.
    if raw.len() < count * 5 {
        return Err(bad("it is shorter than its fix count needs"));
    }
    let first_seq = r.varint()?;
    let mut fixes = vec![
        Quantised {
            time_ms: 0,
            lat_e6: 0,
            lon_e6: 0,
            accuracy_m: 0,
            altitude_m: None,
            speed_cms: None,
            bearing_dd: None,
            provider: 0,
            flags: 0,
        };
        count
    ];
    let mut prev = 0i64;
    for f in &mut fixes {
        prev = prev.wrapping_add(r.signed()?);
        f.time_ms = prev;
    }
    let second_order = match raw.get(r.pos) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(bad("its predictor is unknown")),
    };
    r.pos += 1;
    for lat in [true, false] {
        let (mut p1, mut p2) = (0i64, 0i64);
        for (i, f) in fixes.iter_mut().enumerate() {
            let predicted = if second_order && i >= 2 {
                p1.wrapping_mul(2).wrapping_sub(p2)
            } else {
                p1
            };
            let v = predicted.wrapping_add(r.signed()?);
            if lat {
                f.lat_e6 = v
            } else {
                f.lon_e6 = v
            }
            p2 = p1;
            p1 = v;
        }
    }
    let mut prev = 0i64;
    for f in &mut fixes {
        prev = prev.wrapping_add(r.signed()?);
        f.accuracy_m = prev;
    }
    let metas = raw
        .get(r.pos..r.pos + count)
        .ok_or_else(|| bad("its flags column is cut short"))?
        .to_vec();
    r.pos += count;
    for (f, meta) in fixes.iter_mut().zip(&metas) {
        f.provider = (meta >> 3) & 3;
        f.flags = meta >> 5;
    }
    for bit in 0..3 {
        let mut prev = 0i64;
        for (f, meta) in fixes.iter_mut().zip(&metas) {
            if meta & (1 << bit) != 0 {
                prev = prev.wrapping_add(r.signed()?);
                match bit {
                    0 => f.altitude_m = Some(prev),
                    1 => f.speed_cms = Some(prev),
                    _ => f.bearing_dd = Some(prev),
                }
            }
        }
    }
    if r.pos != raw.len() {
        return Err(ChunkError(format!(
            "{} unexpected bytes after the fixes",
            raw.len() - r.pos
        )));
    }
    for w in fixes.windows(2) {
        if w[1].time_ms <= w[0].time_ms {
            return Err(bad("its times do not increase"));
        }
    }
    if fixes
        .iter()
        .any(|f| f.lat_e6.abs() > 90_000_000 || f.lon_e6.abs() > 180_000_000 || f.accuracy_m < 0)
    {
        return Err(bad("it holds an impossible position or accuracy"));
    }
    Ok((first_seq, fixes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(n: usize) -> Vec<Quantised> {
        (0..n)
            .map(|i| {
                let mut f = Fix::new(
                    1_760_000_000_000 + i as i64 * 1000,
                    34.5 + i as f64 * 1e-5,
                    118.7 + (i as f64 * 0.1).sin() * 1e-4,
                    5.0,
                );
                if i % 3 == 0 {
                    f.altitude_m = Some(12.5);
                    f.speed_mps = Some(1.4);
                }
                f.bearing_deg = (i % 2 == 0).then_some(90.0);
                Quantised::from_fix(&f, (i % 8) as u8)
            })
            .collect()
    }

    #[test]
    fn chunks_round_trip_exactly() {
        let fixes = walk(600);
        let chunk = encode(1200, &fixes);
        let (seq, back) = decode(&chunk).unwrap();
        assert_eq!(seq, 1200);
        assert_eq!(back, fixes);
        assert!(chunk.len() < 600 * 4, "{} bytes", chunk.len());
    }

    #[test]
    fn damaged_chunks_are_refused() {
        let chunk = encode(0, &walk(100));
        assert!(decode(&chunk[..chunk.len() / 2]).is_err());
        assert!(decode(b"GPX").is_err());
        let mut v2 = chunk.clone();
        v2[3] = 9;
        assert!(decode(&v2).unwrap_err().0.contains("version 9"));
        let mut flipped = chunk.clone();
        let last = flipped.len() - 5;
        flipped[last] ^= 0x55;
        let _ = decode(&flipped); // must not panic; may or may not be caught
        // A claimed count the data cannot hold.
        let mut raw = Vec::new();
        put_varint(&mut raw, 86_000);
        let mut z = DeflateEncoder::new(b"FGT\x01".to_vec(), Compression::default());
        z.write_all(&raw).unwrap();
        assert!(decode(&z.finish().unwrap()).is_err());
    }
}
