//! fieldgrid-server: the sync server. `app(state)` is the whole HTTP API as an axum
//! `Router`; `main.rs` adds configuration, logging, the admin CLI and graceful
//! shutdown around it.

mod api;
pub mod blobs;
pub mod catalogue_sheet;
pub mod config;
pub mod connections;
#[cfg(feature = "demo")]
pub mod demo;
pub mod http;
pub mod knowledge_sheet;
pub mod metrics;
pub mod report_sheet;
pub mod service;
pub mod sheet;
pub mod storage;
pub mod web;

use std::sync::{Arc, RwLock};

use fieldgrid_core::incident::Catalogue;
use fieldgrid_core::org::OrgTree;

pub use api::app;
pub use config::Config;
/// The administrator's actions, shared by the HTTP API, the pages and the CLI.
pub use service::admin;

/// What every request handler shares. Nothing here is state a second instance
/// would need: storage and blobs are shared backends, the org tree is a cache
/// checked against the stored version on every use.
#[derive(Clone)]
pub struct AppState {
    /// Accounts, documents, the change sequence, reference data.
    pub storage: Arc<dyn storage::Storage>,
    /// Photos and other blobs.
    pub blobs: Arc<dyn blobs::BlobStore>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Settings that shape the API.
    pub settings: Arc<Settings>,
    org_cache: Arc<RwLock<Option<CachedTree>>>,
    catalogue_cache: Arc<RwLock<Option<CachedCatalogue>>>,
    /// Live events for this instance's open pages.
    pub live: Arc<service::live::Hub>,
    /// The supervisor pages' read model, built on first use (a cache).
    pub(crate) replica: Arc<tokio::sync::OnceCell<Arc<service::replica::Replica>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.storage.backend())
            .finish_non_exhaustive()
    }
}

/// The org tree and the version it was parsed from.
type CachedTree = (u64, Arc<OrgTree>);
/// The catalogue in force with the version it was read at.
type CachedCatalogue = (u64, Arc<Catalogue>);

/// Settings of the HTTP API.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Apps older than this get "please update".
    pub min_app_version: String,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Whether session cookies carry `Secure` (sent over HTTPS only). On unless the
    /// server is explicitly configured for plain HTTP on loopback.
    pub secure_cookies: bool,
    /// Whether the client address is read from `X-Forwarded-For` (behind a proxy
    /// that sets it) rather than from the connection.
    pub trust_forwarded_for: bool,
    /// Unfinished photo uploads older than this many seconds are removed.
    pub upload_max_age_s: i64,
    /// Registrations accepted per client address per hour (a township's office
    /// enrolling its workers shares one address).
    pub registrations_per_hour: u64,
    /// A bearer token that opens `/metrics` from other machines (without it, only
    /// a scraper on this machine reads them).
    pub metrics_token: Option<String>,
    /// The address residents reach the server at, printed in the door plates'
    /// QR codes (else the address the administrator's browser used).
    pub public_url: Option<String>,
    /// Where this instance keeps the pages' read model across restarts (each
    /// instance its own folder); `None`: a temporary folder, rebuilt on every
    /// start.
    pub read_model_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            min_app_version: "0.0.0".into(),
            max_body_bytes: fieldgrid_core::protocol::MAX_REQUEST_BYTES,
            secure_cookies: true,
            trust_forwarded_for: false,
            upload_max_age_s: 7 * 86_400,
            registrations_per_hour: 500,
            metrics_token: None,
            public_url: None,
            read_model_dir: None,
        }
    }
}

impl AppState {
    /// State over the given backends.
    pub fn new(
        storage: Arc<dyn storage::Storage>,
        blobs: Arc<dyn blobs::BlobStore>,
        settings: Settings,
    ) -> Self {
        AppState {
            storage,
            blobs,
            metrics: Arc::new(metrics::Metrics::default()),
            settings: Arc::new(settings),
            org_cache: Arc::new(RwLock::new(None)),
            catalogue_cache: Arc::new(RwLock::new(None)),
            replica: Arc::new(tokio::sync::OnceCell::new()),
            live: Arc::new(service::live::Hub::default()),
        }
    }

    /// The current org tree (empty if none was published).
    pub async fn org_tree(&self) -> Result<Arc<OrgTree>, storage::StorageError> {
        // Every sync request asks: compare versions only (the tree of a county is
        // megabytes), and read and parse the body when a newer one was published.
        let stored = self
            .storage
            .reference_versions()
            .await?
            .into_iter()
            .find(|(what, _)| what == fieldgrid_core::ReferenceKind::OrgTree.as_str())
            .map(|(_, v)| v);
        if let Some(version) = stored
            && let Some((v, tree)) = self
                .org_cache
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
            && *v == version
        {
            return Ok(tree.clone());
        }
        let Some((version, body)) = self
            .storage
            .reference(fieldgrid_core::ReferenceKind::OrgTree.as_str())
            .await?
        else {
            return Ok(Arc::new(OrgTree {
                version: 0,
                units: vec![],
                grids: vec![],
                staff: vec![],
                work_units: vec![],
            }));
        };
        let tree: OrgTree = serde_json::from_str(&body).map_err(|e| {
            storage::StorageError::Other(format!("stored org tree is unreadable: {e}"))
        })?;
        let tree = Arc::new(tree);
        *self.org_cache.write().unwrap_or_else(|p| p.into_inner()) = Some((version, tree.clone()));
        Ok(tree)
    }
}

impl AppState {
    /// The category catalogue in force: the one published, or the default one
    /// phones start with. Cached until a newer version is published.
    pub async fn catalogue(&self) -> Result<Arc<Catalogue>, storage::StorageError> {
        let kind = fieldgrid_core::ReferenceKind::Catalogue.as_str();
        let stored = self
            .storage
            .reference_versions()
            .await?
            .into_iter()
            .find(|(what, _)| what == kind)
            .map(|(_, v)| v)
            .unwrap_or(0);
        if let Some((v, c)) = self
            .catalogue_cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *v == stored
        {
            return Ok(c.clone());
        }
        let catalogue = match self.storage.reference(kind).await? {
            Some((_, body)) => serde_json::from_str(&body).map_err(|e| {
                storage::StorageError::Other(format!("stored catalogue is unreadable: {e}"))
            })?,
            None => fieldgrid_core::incident::default_catalogue(),
        };
        let catalogue = Arc::new(catalogue);
        *self
            .catalogue_cache
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some((stored, catalogue.clone()));
        Ok(catalogue)
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
