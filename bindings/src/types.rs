//! The records and enums that cross the FFI boundary, with their conversions from
//! the core's types.

use fieldgrid_core::forms::FieldProblem;
use fieldgrid_core::patrol::{Fix, Provider, TravelMode};
use fieldgrid_core::records::{FieldValue, GeoPoint, RecordKind, RecordStatus};

/// A household or a person (the records kept through forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FormKind {
    /// A household and its house record.
    Household,
    /// A resident.
    Person,
}

impl From<FormKind> for RecordKind {
    fn from(k: FormKind) -> Self {
        match k {
            FormKind::Household => RecordKind::Household,
            FormKind::Person => RecordKind::Person,
        }
    }
}

/// The value of one form field.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FieldValueInfo {
    /// Yes/no.
    Bool {
        /// The value.
        value: bool,
    },
    /// A whole number.
    Int {
        /// The value.
        value: i64,
    },
    /// A decimal number.
    Decimal {
        /// The value.
        value: f64,
    },
    /// Text, a date `YYYY-MM-DD`, a single choice's code, an ID or phone number.
    Text {
        /// The value.
        value: String,
    },
    /// The codes of a multiple choice, or photo hashes.
    Choices {
        /// The codes.
        codes: Vec<String>,
    },
    /// A place.
    Point {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
    /// The rows of a repeat group, as a JSON array of objects.
    Rows {
        /// `[{"code": value, ...}, ...]`.
        json: String,
    },
}

impl From<FieldValue> for FieldValueInfo {
    fn from(v: FieldValue) -> Self {
        match v {
            FieldValue::Bool(value) => FieldValueInfo::Bool { value },
            FieldValue::Int(value) => FieldValueInfo::Int { value },
            FieldValue::Decimal(value) => FieldValueInfo::Decimal { value },
            FieldValue::Text(value) => FieldValueInfo::Text { value },
            FieldValue::Choices(codes) => FieldValueInfo::Choices { codes },
            FieldValue::Point(p) => FieldValueInfo::Point {
                lat: p.lat,
                lon: p.lon,
            },
            rows @ FieldValue::Rows(_) => FieldValueInfo::Rows {
                json: serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into()),
            },
        }
    }
}

impl TryFrom<FieldValueInfo> for FieldValue {
    type Error = crate::ApiError;

    fn try_from(v: FieldValueInfo) -> Result<Self, Self::Error> {
        Ok(match v {
            FieldValueInfo::Bool { value } => FieldValue::Bool(value),
            FieldValueInfo::Int { value } => FieldValue::Int(value),
            FieldValueInfo::Decimal { value } => FieldValue::Decimal(value),
            FieldValueInfo::Text { value } => FieldValue::Text(value),
            FieldValueInfo::Choices { codes } => FieldValue::Choices(codes),
            FieldValueInfo::Point { lat, lon } => FieldValue::Point(GeoPoint { lat, lon }),
            FieldValueInfo::Rows { json } => {
                let rows = serde_json::from_str(&json).map_err(|e| crate::ApiError::Invalid {
                    detail: format!("repeat-group rows are not a JSON array of objects: {e}"),
                })?;
                FieldValue::Rows(rows)
            }
        })
    }
}

/// One answer: a field key (`module.field`) and its value (`None` clears it).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldEntry {
    /// `module.field`.
    pub key: String,
    /// The value, or `None` to clear.
    pub value: Option<FieldValueInfo>,
}

/// A problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldProblemInfo {
    /// `module.field` or `module.group[row].field`.
    pub field: String,
    /// The question, in Chinese.
    pub label: String,
    /// True when the value is wrong (the save is refused); false when an answer
    /// is missing (a draft may be saved).
    pub invalid: bool,
    /// What is wrong (never the value).
    pub message: String,
}

impl From<FieldProblem> for FieldProblemInfo {
    fn from(p: FieldProblem) -> Self {
        FieldProblemInfo {
            invalid: p.severity == fieldgrid_core::forms::Severity::Invalid,
            field: p.field,
            label: p.label,
            message: p.message,
        }
    }
}

/// How a patrol moves (decides the jump filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TravelModeInfo {
    /// On foot.
    Walking,
    /// By bicycle or e-bike.
    Cycling,
    /// By car or motorbike.
    Driving,
}

impl From<TravelModeInfo> for TravelMode {
    fn from(m: TravelModeInfo) -> Self {
        match m {
            TravelModeInfo::Walking => TravelMode::Walking,
            TravelModeInfo::Cycling => TravelMode::Cycling,
            TravelModeInfo::Driving => TravelMode::Driving,
        }
    }
}

/// Which positioning produced a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProviderInfo {
    /// Not reported.
    Unknown,
    /// Satellites.
    Gps,
    /// Cell and Wi-Fi.
    Network,
    /// The OS's fused provider.
    Fused,
}

/// One GPS fix as the location service delivers it.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct FixInput {
    /// Unix milliseconds.
    pub time_ms: i64,
    /// Latitude (WGS-84).
    pub lat: f64,
    /// Longitude (WGS-84).
    pub lon: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f32,
    /// Altitude in metres.
    pub altitude_m: Option<f32>,
    /// Speed in m/s.
    pub speed_mps: Option<f32>,
    /// Bearing in degrees.
    pub bearing_deg: Option<f32>,
    /// Positioning source.
    pub provider: ProviderInfo,
    /// The OS flagged it as coming from a mock-location app.
    pub mock: bool,
}

impl From<&FixInput> for Fix {
    fn from(f: &FixInput) -> Self {
        Fix {
            time_ms: f.time_ms,
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            altitude_m: f.altitude_m,
            speed_mps: f.speed_mps,
            bearing_deg: f.bearing_deg,
            provider: match f.provider {
                ProviderInfo::Unknown => Provider::Unknown,
                ProviderInfo::Gps => Provider::Gps,
                ProviderInfo::Network => Provider::Network,
                ProviderInfo::Fused => Provider::Fused,
            },
            mock: f.mock,
        }
    }
}

/// Whether a household or person is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StatusInfo {
    /// Current.
    Active,
    /// Moved away.
    MovedAway,
    /// Died.
    Deceased,
    /// Household dissolved.
    Dissolved,
}

impl From<StatusInfo> for RecordStatus {
    fn from(s: StatusInfo) -> Self {
        match s {
            StatusInfo::Active => RecordStatus::Active,
            StatusInfo::MovedAway => RecordStatus::MovedAway,
            StatusInfo::Deceased => RecordStatus::Deceased,
            StatusInfo::Dissolved => RecordStatus::Dissolved,
        }
    }
}

/// Converts answers from the app.
pub(crate) fn values_from(
    entries: Vec<FieldEntry>,
) -> Result<Vec<(String, Option<FieldValue>)>, crate::ApiError> {
    entries
        .into_iter()
        .map(|e| Ok((e.key, e.value.map(FieldValue::try_from).transpose()?)))
        .collect()
}

/// Converts answers for the app, in key order.
pub(crate) fn entries_from(
    values: impl IntoIterator<Item = (String, FieldValue)>,
) -> Vec<FieldEntry> {
    values
        .into_iter()
        .map(|(key, v)| FieldEntry {
            key,
            value: Some(v.into()),
        })
        .collect()
}
