//! QR door plates: the payload printed on a household's plate, and finding the
//! household a scanned plate names.

use rusqlite::OptionalExtension;

use super::FieldStore;
use crate::error::{Error, Result};
use crate::household::{PlateError, parse_plate_payload, plate_payload};

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
