//! Door plates (智慧门牌): each household gets a stable plate code when created;
//! the plate's QR code carries `FGDP:1:<county>:<plate>:<check>`. Everything in it
//! is in the QR alphanumeric set (upper case, digits, `:` and `-`), so the code
//! stays small and scans from a weathered plate.

use rand::Rng;

/// The payload's prefix and format version.
const PREFIX: &str = "FGDP";
const VERSION: u32 = 1;
/// Crockford's base 32: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub use crate::error::PlateError;

/// A fresh plate code: 8 Crockford base-32 characters, four, a dash, four (40 random
/// bits; a county of 100,000 households has about a 1 in 200 chance of any clash
/// among all of them, and a clash is caught when the plate is resolved).
pub fn new_plate_code() -> String {
    let mut rng = rand::rng();
    let chars: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..32)] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

fn check(county: &str, plate: &str) -> String {
    let hash = blake3::hash(format!("{PREFIX}:{VERSION}:{county}:{plate}").as_bytes());
    hex::encode_upper(&hash.as_bytes()[..2])
}

/// The QR payload of a plate in a county.
pub fn plate_payload(county: &str, plate: &str) -> String {
    let plate = plate.to_ascii_uppercase();
    format!(
        "{PREFIX}:{VERSION}:{county}:{plate}:{}",
        check(county, &plate)
    )
}

/// The link printed as a plate's QR code: the public report page of the server
/// at `base`, carrying the payload. A resident's camera or WeChat opens the page
/// with the place filled in; the app reads the payload out of the link.
pub fn plate_link(base: &str, county: &str, plate: &str) -> String {
    format!(
        "{}/report?plate={}",
        base.trim_end_matches('/'),
        plate_payload(county, plate)
    )
}

/// Reads a scanned payload, bare or inside a plate's link ([`plate_link`]), into
/// `(county, plate)`, refusing anything damaged.
pub fn parse_plate_payload(payload: &str) -> std::result::Result<(String, String), PlateError> {
    let mut text = payload.trim().to_ascii_uppercase();
    if let Some(at) = text.find("PLATE=") {
        let query = &text[at + "PLATE=".len()..];
        text = query
            .split(['&', '#'])
            .next()
            .unwrap_or_default()
            .replace("%3A", ":");
    }
    let parts: Vec<&str> = text.split(':').collect();
    if parts.first() != Some(&PREFIX) || parts.len() < 2 {
        return Err(PlateError::NotAPlate);
    }
    let version: u32 = parts[1].parse().map_err(|_| PlateError::Damaged)?;
    if version > VERSION {
        return Err(PlateError::UnsupportedVersion(version));
    }
    let [_, _, county, plate, sum] = parts.as_slice() else {
        return Err(PlateError::Damaged);
    };
    let plain =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !plain(county) || !plain(plate) || check(county, plate) != *sum {
        return Err(PlateError::Damaged);
    }
    Ok(((*county).to_owned(), (*plate).to_owned()))
}
