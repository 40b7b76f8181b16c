//! Patrol logs (巡查日志): the notes a grid worker writes during a patrol. The GPS
//! track is not a document; it is stored as encoded chunks.

use serde::{Deserialize, Serialize};

use super::{GeoPoint, Record, RecordKind};

/// What a patrol log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolEntryKind {
    /// A free note.
    Note,
    /// Arrival at a point of interest.
    CheckIn,
    /// A photo was taken.
    Photo,
    /// An incident was reported during the patrol.
    Incident,
}

/// One timestamped entry of a patrol log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolEntry {
    /// When, in unix seconds.
    pub at: i64,
    /// What kind of entry.
    pub kind: PatrolEntryKind,
    /// The text written.
    #[serde(default)]
    pub note: String,
    /// Where, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<GeoPoint>,
    /// The photo, incident or point of interest referred to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// How the worker travels on this patrol: it sets the fastest believable speed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    /// On foot (up to 4 m/s, a run).
    #[default]
    Walking,
    /// By bicycle or e-bike (up to 12 m/s).
    Cycling,
    /// By car or motorbike (up to 40 m/s).
    Driving,
}

impl TravelMode {
    /// The fastest believable speed, in m/s.
    pub fn max_speed_mps(self) -> f64 {
        match self {
            TravelMode::Walking => 4.0,
            TravelMode::Cycling => 12.0,
            TravelMode::Driving => 40.0,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TravelMode::Walking => "walking",
            TravelMode::Cycling => "cycling",
            TravelMode::Driving => "driving",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "cycling" => TravelMode::Cycling,
            "driving" => TravelMode::Driving,
            _ => TravelMode::Walking,
        }
    }
}

/// Why a patrol's track has no line over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The worker paused the patrol.
    Paused,
    /// The recording itself stopped and started again (a new `<trkseg>` of an
    /// imported GPX file): where the worker went meanwhile is not known.
    SignalLost,
}

/// An interval with no track line: figures never join the fixes on either side,
/// however close in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackBreak {
    /// From, unix ms.
    pub from_ms: i64,
    /// To, unix ms.
    pub to_ms: i64,
    /// Why.
    pub kind: BreakKind,
}

/// The log of one patrol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolLog {
    /// The grid patrolled.
    pub grid_code: String,
    /// The grid worker (user id).
    pub worker_id: String,
    /// Why the patrol was made.
    #[serde(default)]
    pub purpose: String,
    /// When it started, in unix seconds.
    pub started_at: i64,
    /// On foot, by bicycle or by car.
    #[serde(default)]
    pub travel_mode: TravelMode,
    /// The entries so far.
    #[serde(default)]
    pub entries: Vec<PatrolEntry>,
    /// Pauses and recording breaks, in order: the server's review reads them
    /// with the track.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<TrackBreak>,
}

impl PatrolLog {
    /// The paused intervals `(from, to)`, unix ms.
    pub fn paused(&self) -> Vec<(i64, i64)> {
        self.breaks
            .iter()
            .filter(|b| b.kind == BreakKind::Paused)
            .map(|b| (b.from_ms, b.to_ms))
            .collect()
    }
}

impl Record for PatrolLog {
    const KIND: RecordKind = RecordKind::PatrolLog;

    fn claims(&self) -> Vec<(String, String)> {
        vec![("worker".to_owned(), self.worker_id.clone())]
    }

    fn grid_code(&self) -> &str {
        &self.grid_code
    }

    fn title(&self) -> String {
        if self.purpose.is_empty() {
            format!("patrol {}", self.grid_code)
        } else {
            self.purpose.clone()
        }
    }

    fn search_text(&self) -> String {
        let mut text = format!("{} {}", self.purpose, self.grid_code);
        for e in &self.entries {
            text.push(' ');
            text.push_str(&e.note);
        }
        text
    }
}
