//! Patrols: sessions in a grid with a log (a CRDT document) and a GPS track (not a
//! CRDT: fixes from one writer, appended into compact encoded chunks).

pub mod authenticity;
pub mod codec;
pub mod export;
pub mod figures;
pub mod filter;
pub mod fix;
pub mod gpx;
pub(crate) mod session;
#[cfg(feature = "demo")]
pub mod synthetic;

pub use authenticity::{CheckContext, Finding, FindingKind};
pub use figures::{FigureConfig, PatrolFigures, Stop, figures, simplified};
pub use filter::{FilterConfig, RejectReason, TravelMode};
pub use fix::{Fix, Provider, StoredFix};
pub use session::{
    IngestReport, PatrolInfo, PatrolState, RejectedFix, SEAL_AFTER_FIXES, SEAL_AFTER_MS,
};
