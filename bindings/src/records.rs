//! Records returned to the app for patrols, incidents, grids and photos.

/// A grid the user works in.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GridInfo {
    /// Grid code.
    pub code: String,
    /// Name.
    pub name: String,
    /// 1 or 2.
    pub level: u8,
    /// The village or community.
    pub unit: String,
}

impl From<fieldgrid_core::org::GridInfo> for GridInfo {
    fn from(g: fieldgrid_core::org::GridInfo) -> Self {
        GridInfo {
            code: g.code,
            name: g.name,
            level: g.level,
            unit: g.unit,
        }
    }
}

/// What one batch of fixes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct IngestSummary {
    /// Fixes stored.
    pub accepted: u64,
    /// Fixes refused (impossible, inaccurate, out of order, patrol not active).
    pub rejected: u64,
    /// Accepted but flagged as a jump.
    pub jumps: u64,
    /// Accepted but from a mock-location app.
    pub mocked: u64,
}

/// A patrol.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PatrolSummary {
    /// Patrol id (its log record's id).
    pub id: String,
    /// Grid.
    pub grid_code: String,
    /// `active`, `paused`, `stopped`.
    pub state: String,
    /// Start (unix ms).
    pub started_at_ms: i64,
    /// End (unix ms).
    pub stopped_at_ms: Option<i64>,
    /// Fixes stored.
    pub fixes: u64,
}

impl From<fieldgrid_core::patrol::PatrolInfo> for PatrolSummary {
    fn from(p: fieldgrid_core::patrol::PatrolInfo) -> Self {
        PatrolSummary {
            id: p.id,
            grid_code: p.grid_code,
            state: format!("{:?}", p.state).to_lowercase(),
            started_at_ms: p.started_at_ms,
            stopped_at_ms: p.stopped_at_ms,
            fixes: p.fixes,
        }
    }
}

/// A new incident as the reporter enters it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewIncident {
    /// Grid where it happened.
    pub grid_code: String,
    /// Category code from the catalogue.
    pub category: String,
    /// What was seen.
    pub description: String,
    /// Where (optional).
    pub lat: Option<f64>,
    /// Where (optional).
    pub lon: Option<f64>,
    /// Photos already added ([`crate::FieldGrid::add_photo`]).
    pub photos: Vec<String>,
}

/// A category the picker offers.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CategoryChoice {
    /// The code the incident stores.
    pub code: String,
    /// Its Chinese name.
    pub name: String,
    /// Its names from the top, e.g. `矛盾纠纷 › 邻里纠纷 › 噪音扰民`.
    pub path: String,
    /// 1, 2 or 3.
    pub level: u8,
    /// Its default grade in Chinese (一般, 较大, 重大), if it has one.
    pub grade: Option<String>,
}

impl From<fieldgrid_core::incident::CategoryChoice> for CategoryChoice {
    fn from(c: fieldgrid_core::incident::CategoryChoice) -> Self {
        CategoryChoice {
            code: c.code,
            name: c.name,
            path: c.path,
            level: c.level,
            grade: c.grade.map(|g| g.name_zh().to_owned()),
        }
    }
}

/// An incident's state, replayed from its transitions.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IncidentSummary {
    /// Record id.
    pub id: String,
    /// Grid.
    pub grid_code: String,
    /// Category.
    pub category: String,
    /// Description.
    pub description: String,
    /// Stage (`reported`, `accepted`, `dispatched`, ...).
    pub stage: String,
    /// Assignee (platform or department).
    pub assignee: Option<String>,
    /// Transitions recorded.
    pub transitions: u32,
    /// Transitions kept as conflicts.
    pub conflicts: u32,
    /// Photos attached on this phone.
    pub photos: Vec<String>,
}

/// One incident in the queue.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QueueEntry {
    /// Record id.
    pub id: String,
    /// Grid.
    pub grid_code: String,
    /// Category code.
    pub category: String,
    /// The category's Chinese name, for display.
    pub category_name: String,
    /// Stage code.
    pub stage: String,
    /// The stage's Chinese name, for display.
    pub stage_name: String,
    /// The handling unit's code, once dispatched.
    pub assignee: Option<String>,
    /// The handling unit's Chinese name, for display.
    pub assignee_name: Option<String>,
    /// How it reached the command centre (`grid_worker`, `hotline`, ...).
    pub channel: String,
    /// The channel's Chinese name, for display.
    pub channel_name: String,
    /// `pending`, `warning`, `overdue`, `done`.
    pub colour: String,
    /// When the current stage is due (unix seconds).
    pub due: Option<i64>,
}

impl From<fieldgrid_core::incident::QueueItem> for QueueEntry {
    fn from(q: fieldgrid_core::incident::QueueItem) -> Self {
        QueueEntry {
            id: q.id,
            grid_code: q.grid_code,
            category: q.category,
            category_name: q.category_name,
            stage: q.stage,
            stage_name: q.stage_name,
            assignee: q.assignee,
            assignee_name: q.assignee_name,
            channel: q.channel.as_str().into(),
            channel_name: q.channel.name_zh().into(),
            colour: format!("{:?}", q.colour).to_lowercase(),
            due: q.due,
        }
    }
}

/// A stored photo.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoSummary {
    /// Content hash.
    pub hash: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Bytes of the stored JPEG.
    pub bytes: u64,
}

/// A search or lookup hit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SearchResult {
    /// Record id.
    pub id: String,
    /// `household`, `person`, `incident`, `patrol_log`.
    pub kind: String,
    /// List title.
    pub title: String,
    /// Grid.
    pub grid_code: String,
}
