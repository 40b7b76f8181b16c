//! Server configuration: defaults, then a TOML file, then `FIELDGRID_*` environment
//! variables, then command-line flags.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::blobs::FsBlobStore;
use crate::storage::{PostgresStorage, SqliteStorage, Storage, StorageError};
use crate::{AppState, Settings};

/// Everything the server can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Loopback by default: put a TLS proxy in front.
    pub listen: String,
    /// Folder for the SQLite database and blobs (created if missing).
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file.
    pub database_url: Option<String>,
    /// PostgreSQL connections per instance.
    pub pg_pool_size: usize,
    /// Apps older than this are told to update.
    pub min_app_version: String,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// `text` or `json` logs.
    pub log_format: String,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        let settings = Settings::default();
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("fieldgrid-data"),
            database_url: None,
            pg_pool_size: 16,
            min_app_version: settings.min_app_version,
            max_body_bytes: settings.max_body_bytes,
            log_format: "text".into(),
            shutdown_grace_secs: 30,
        }
    }
}

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An environment variable is not valid.
    #[error("environment variable {name} is invalid: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Defaults, overridden by `file` (if given) and then by the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
        };
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let number = |name: &'static str, v: String| {
            v.parse::<usize>().map_err(|e| ConfigError::Env {
                name,
                message: e.to_string(),
            })
        };
        if let Some(v) = var("FIELDGRID_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = var("FIELDGRID_DATA_DIR") {
            config.data_dir = v.into();
        }
        if let Some(v) = var("FIELDGRID_DATABASE_URL") {
            config.database_url = Some(v);
        }
        if let Some(v) = var("FIELDGRID_MIN_APP_VERSION") {
            config.min_app_version = v;
        }
        if let Some(v) = var("FIELDGRID_MAX_BODY_BYTES") {
            config.max_body_bytes = number("FIELDGRID_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = var("FIELDGRID_PG_POOL_SIZE") {
            config.pg_pool_size = number("FIELDGRID_PG_POOL_SIZE", v)?;
        }
        if let Some(v) = var("FIELDGRID_LOG_FORMAT") {
            config.log_format = v;
        }
        Ok(config)
    }

    /// Opens the storage and blob store this configuration names.
    pub async fn open(&self) -> Result<AppState, StorageError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            StorageError::Other(format!("cannot create {}: {e}", self.data_dir.display()))
        })?;
        let storage: Arc<dyn Storage> = match &self.database_url {
            Some(url) => Arc::new(PostgresStorage::connect(url, self.pg_pool_size).await?),
            None => Arc::new(SqliteStorage::open(self.data_dir.join("server.sqlite"))?),
        };
        let blobs = FsBlobStore::new(self.data_dir.join("blobs"))
            .map_err(|e| StorageError::Other(format!("cannot create the blob folder: {e}")))?;
        Ok(AppState::new(
            storage,
            Arc::new(blobs),
            Settings {
                min_app_version: self.min_app_version.clone(),
                max_body_bytes: self.max_body_bytes,
            },
        ))
    }
}
