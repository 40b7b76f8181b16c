//! The one place between HTTP and storage that knows who is asking: every read and
//! write of a record, a track, a photo, an export or a reference inside a document
//! goes through here, for the device API and the supervisor pages alike.
//!
//! The rule everywhere: what lies outside the caller's area is answered exactly as
//! what does not exist ([`ServiceError::NotFound`]), and a refusal never names the
//! kind, grid, stage or existence of anything outside it.

pub mod accounts;
pub mod admin;
pub mod assessment;
pub mod backfill;
pub mod intake;
pub mod jobs;
pub mod knowledge;
pub mod live;
pub mod news;
pub mod pull;
pub mod push;
pub mod records;
pub mod replica;
pub mod reports;
pub mod residents;
pub mod sessions;
pub mod stats;
pub mod throttle;
pub mod tracks;
pub mod uploads;

use std::sync::Arc;

use fieldgrid_core::org::{OrgTree, Role, StaffScope};

use crate::AppState;
use crate::storage::StorageError;

/// Who is asking, and what they may see: a device's user, or a supervisor signed in
/// to the pages (who writes through the pages' replica, a device of the server's).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The org-tree person.
    pub staff: String,
    /// The device whose changes the caller writes (hex id): the phone, or the pages'
    /// replica for a supervisor.
    pub device: String,
    /// The grids the person may see and write.
    pub scope: StaffScope,
    /// The org tree the scope was computed from.
    pub tree: Arc<OrgTree>,
}

impl Caller {
    /// The caller `staff` on `device`, with their area from the current org tree.
    pub async fn new(state: &AppState, staff: &str, device: &str) -> Result<Caller, ServiceError> {
        let tree = state.org_tree().await?;
        Ok(Caller {
            staff: staff.to_owned(),
            device: device.to_owned(),
            scope: tree.scope_of(staff),
            tree,
        })
    }

    /// `staff` signed in to this instance's pages: they write as the pages' device.
    pub async fn on_pages(state: &AppState, staff: &str) -> Result<Caller, ServiceError> {
        let device = replica::get(state).await?.device_id();
        Caller::new(state, staff, &device).await
    }

    /// Whether records of `grid` are in the caller's area.
    pub fn sees(&self, grid: &str) -> bool {
        self.scope.contains(grid)
    }

    /// The roles the caller holds over `grid`.
    pub fn roles_over(&self, grid: &str) -> Vec<Role> {
        self.tree.roles_over(&self.staff, grid)
    }

    /// `Ok(())` when `grid` is in the area, else [`ServiceError::NotFound`].
    pub fn check(&self, grid: &str) -> Result<(), ServiceError> {
        if self.sees(grid) {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }
}

/// Why the service did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Not there, or not in the caller's area: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// Refused, with a reason that names only what the caller may see.
    #[error("{0}")]
    Refused(String),
    /// What was offered breaks rules: every problem, in Chinese, each with where
    /// it is. Nothing was stored.
    #[error("{}", .0.join("；"))]
    Invalid(Vec<String>),
    /// A concurrent save won every retry; the caller may try again.
    #[error("the record is being changed by many devices at once; try again")]
    Busy,
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The core failed on stored data.
    #[error("the server failed on stored data: {0}")]
    Core(#[from] fieldgrid_core::Error),
    /// Stored data could not be read (a track chunk...).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl From<fieldgrid_core::patrol::codec::ChunkError> for ServiceError {
    fn from(e: fieldgrid_core::patrol::codec::ChunkError) -> Self {
        ServiceError::Corrupt(e.to_string())
    }
}

impl From<replica::ReplicaError> for ServiceError {
    fn from(e: replica::ReplicaError) -> Self {
        match e {
            replica::ReplicaError::Storage(s) => ServiceError::Storage(s),
            replica::ReplicaError::Core(c) => ServiceError::Core(c),
            e @ replica::ReplicaError::Io { .. } => {
                ServiceError::Storage(StorageError::Other(e.to_string()))
            }
        }
    }
}

/// Runs CPU or blocking store work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, fieldgrid_core::Error> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::Corrupt(format!("a worker task failed: {e}")))?
        .map_err(ServiceError::from)
}
