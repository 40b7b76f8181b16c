//! GPS fixes as the phone's location service delivers them, and as stored.

use serde::{Deserialize, Serialize};

/// Where a fix came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Not reported.
    #[default]
    Unknown,
    /// Satellite positioning.
    Gps,
    /// Cell towers and Wi-Fi.
    Network,
    /// The OS's fused provider.
    Fused,
}

impl Provider {
    pub(crate) fn code(self) -> u8 {
        match self {
            Provider::Unknown => 0,
            Provider::Gps => 1,
            Provider::Network => 2,
            Provider::Fused => 3,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => Provider::Unknown,
            1 => Provider::Gps,
            2 => Provider::Network,
            3 => Provider::Fused,
            _ => return None,
        })
    }
}

/// One fix from the location service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Unix time in milliseconds, by the device clock.
    pub time_ms: i64,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Horizontal accuracy in metres (68% radius).
    pub accuracy_m: f32,
    /// Altitude in metres.
    #[serde(default)]
    pub altitude_m: Option<f32>,
    /// Speed over ground in m/s.
    #[serde(default)]
    pub speed_mps: Option<f32>,
    /// Bearing in degrees from north.
    #[serde(default)]
    pub bearing_deg: Option<f32>,
    /// Where the fix came from.
    #[serde(default)]
    pub provider: Provider,
    /// The OS said the location is mocked (a fake-GPS app).
    #[serde(default)]
    pub mock: bool,
}

impl Fix {
    /// A GPS fix with just time, place and accuracy.
    pub fn new(time_ms: i64, lat: f64, lon: f64, accuracy_m: f32) -> Self {
        Fix {
            time_ms,
            lat,
            lon,
            accuracy_m,
            altitude_m: None,
            speed_mps: None,
            bearing_deg: None,
            provider: Provider::Gps,
            mock: false,
        }
    }
}

/// Flags the filters put on an accepted fix. The fix is kept as recorded; the
/// figures leave flagged fixes out.
pub mod flags {
    /// Standing still: within the accuracy circle of the last moving point.
    pub const JITTER: u8 = 1;
    /// Reached faster than the patrol's travel mode allows.
    pub const JUMP: u8 = 2;
    /// The OS reported a mocked location.
    pub const MOCK: u8 = 4;
}

/// An accepted fix as stored: the fix, its number in the patrol, and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StoredFix {
    /// 0, 1, 2… in the order accepted.
    pub seq: u64,
    /// The fix, at storage resolution (1 ms, 1e-6 degree, 1 m accuracy and altitude).
    pub fix: Fix,
    /// [`flags`] bits.
    pub flags: u8,
}

impl StoredFix {
    /// Whether the figures use this fix (not jitter, not a jump).
    pub fn counts(&self) -> bool {
        self.flags & (flags::JITTER | flags::JUMP) == 0
    }
}
