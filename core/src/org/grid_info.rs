//! A grid as the app lists it.

use serde::Serialize;

use super::GridKind;

/// A grid as the app lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridInfo {
    /// The grid code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// 1 or 2.
    pub level: u8,
    /// What it covers.
    pub kind: GridKind,
    /// Its town or village.
    pub unit: String,
    /// For a second-level grid, its first-level grid.
    pub parent_grid: Option<String>,
}
