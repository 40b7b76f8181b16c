//! fieldgrid-ffi: the layer the Android and iOS apps call. The UniFFI surface is
//! built by the bindings issue; until then this crate only fixes its place in the
//! workspace and the core version it wraps.

/// The database schema version of the core these bindings wrap.
pub fn schema_version() -> i64 {
    fieldgrid_core::SCHEMA_VERSION
}
