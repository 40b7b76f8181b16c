//! Door plates (智慧门牌): each household gets a stable plate code when created;
//! the plate's QR code carries `FGDP:1:<county>:<plate>:<check>`. Everything in it
//! is in the QR alphanumeric set (upper case, digits, `:` and `-`), so the code
//! stays small and scans from a weathered plate.

use rand::Rng;
use rusqlite::OptionalExtension;

use crate::error::{Error, Result};
use crate::store::FieldStore;

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

/// Reads a scanned payload into `(county, plate)`, refusing anything damaged.
pub fn parse_plate_payload(payload: &str) -> std::result::Result<(String, String), PlateError> {
    let text = payload.trim().to_ascii_uppercase();
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

impl FieldStore {
    fn county_code(&self) -> Result<String> {
        let county: Option<String> = self
            .conn()
            .query_row(
                "SELECT code FROM org_units WHERE level = 'county' ORDER BY code LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        county.ok_or(Error::DoorPlate(PlateError::NoCounty))
    }

    /// The QR payload for a household's door plate.
    pub fn door_plate_payload(&self, household_id: &str) -> Result<String> {
        let house: crate::records::Household = self.get(household_id)?;
        let plate = house
            .door_plate
            .ok_or_else(|| Error::InvalidChange("the household has no door plate code".into()))?;
        Ok(plate_payload(&self.county_code()?, &plate))
    }

    /// Opens a scanned door plate: the id of the household that carries it.
    pub fn resolve_door_plate(&self, payload: &str) -> Result<String> {
        let (county, plate) = parse_plate_payload(payload)?;
        if county != self.county_code()? {
            return Err(PlateError::OtherCounty { county }.into());
        }
        let found: Option<String> = self
            .conn()
            .query_row(
                "SELECT d.doc_id FROM households h JOIN documents d ON d.id = h.doc
                 WHERE h.door_plate = ?1 ORDER BY h.status = 'active' DESC LIMIT 1",
                [&plate],
                |r| r.get(0),
            )
            .optional()?;
        found.ok_or(Error::DoorPlate(PlateError::Unknown { plate }))
    }
}
