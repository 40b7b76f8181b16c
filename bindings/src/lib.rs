//! fieldgrid-ffi: the one API the Android and iOS apps call, generated for Kotlin,
//! Swift and Python by UniFFI from the proc-macros in this crate (the core has no
//! FFI attributes).
//!
//! [`FieldGrid`] is the handle on the phone's store: records for data, one
//! [`ApiError`] with the cases an app acts on, async for anything that may take
//! long (sync, registration, photo processing), and GPS fixes in batches.

mod assessment;
mod error;
mod households;
mod knowledge;
mod records;
mod store;
mod sync;
mod tasks;
mod types;

pub use error::{ApiError, ApiResult};
pub use households::*;
pub use knowledge::*;
pub use records::*;
pub use store::FieldGrid;
pub use sync::*;
pub use tasks::*;
pub use types::*;

uniffi::setup_scaffolding!();

/// The database schema version of the core these bindings wrap.
#[uniffi::export]
pub fn schema_version() -> i64 {
    fieldgrid_core::SCHEMA_VERSION
}
