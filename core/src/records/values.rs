//! Values of form fields and geographic points inside records.

use serde::{Deserialize, Serialize};

/// A point in WGS-84 degrees, as the phone's GPS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// Whether both coordinates are finite and in range.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// The value of one form field. Each field is one Automerge scalar (or a list of
/// choices), so concurrent edits of different fields merge and edits of the same
/// field show as a conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Yes/no.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Decimal(f64),
    /// Text, a date (`YYYY-MM-DD`), a single choice's code, an ID or phone number.
    Text(String),
    /// The codes of a multiple choice.
    Choices(Vec<String>),
    /// A place.
    Point(GeoPoint),
    /// The rows of a repeat group, each row's answers by field code.
    Rows(Vec<std::collections::BTreeMap<String, FieldValue>>),
}

impl FieldValue {
    /// The text to index for search, if this kind of value is searched.
    pub(crate) fn search_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Text(s.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s)
    }
}

impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}

impl From<f64> for FieldValue {
    fn from(d: f64) -> Self {
        FieldValue::Decimal(d)
    }
}

impl From<Vec<String>> for FieldValue {
    fn from(codes: Vec<String>) -> Self {
        FieldValue::Choices(codes)
    }
}

impl From<GeoPoint> for FieldValue {
    fn from(p: GeoPoint) -> Self {
        FieldValue::Point(p)
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}

/// Values of a record's fields by key, as the form engine sees them.
pub type FormValues = std::collections::BTreeMap<String, FieldValue>;
