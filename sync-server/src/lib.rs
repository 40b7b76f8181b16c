//! fieldgrid-server: the sync server. The HTTP API, storage backends and the
//! supervisors' pages arrive with the sync issue; this crate fixes its place in the
//! workspace and its dependency on the core's types.

/// The database schema version of the core whose documents this server stores.
pub fn core_schema_version() -> i64 {
    fieldgrid_core::SCHEMA_VERSION
}
