//! Server configuration: defaults, then a TOML file, then `FIELDGRID_*` environment
//! variables, then command-line flags.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::blobs::{FsBlobStore, ObjectBlobStore};
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
    /// Serve the pages over plain HTTP on a loopback address: session cookies then
    /// lack `Secure`. Refused for any other listen address. Off by default: behind a
    /// TLS proxy cookies are always `Secure`, whatever Host the proxy forwards.
    pub plain_http_loopback: bool,
    /// Read the client address from `X-Forwarded-For` (only behind a proxy that
    /// sets it; otherwise clients could pick their own address).
    pub trust_forwarded_for: bool,
    /// Connections served at once.
    pub max_connections: usize,
    /// Seconds a client gets to send a request's headers (and to start the next one
    /// on a kept-alive connection).
    pub header_timeout_secs: u64,
    /// Seconds a request, body included, gets to be answered.
    pub request_timeout_secs: u64,
    /// Unfinished photo uploads older than this many hours are removed.
    pub upload_max_age_hours: u64,
    /// Registrations accepted per client address per hour.
    pub registrations_per_hour: u64,
    /// A bearer token for `/metrics` from other machines.
    pub metrics_token: Option<String>,
    /// The address residents reach the server at (`https://grid.example.gov.cn`),
    /// printed in the door plates' QR codes.
    pub public_url: Option<String>,
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
            plain_http_loopback: false,
            trust_forwarded_for: false,
            max_connections: 1024,
            header_timeout_secs: 15,
            request_timeout_secs: 120,
            upload_max_age_hours: 7 * 24,
            registrations_per_hour: settings.registrations_per_hour,
            metrics_token: None,
            public_url: None,
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
        if let Some(v) = var("FIELDGRID_PLAIN_HTTP_LOOPBACK") {
            config.plain_http_loopback = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("FIELDGRID_TRUST_FORWARDED_FOR") {
            config.trust_forwarded_for = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("FIELDGRID_REGISTRATIONS_PER_HOUR") {
            config.registrations_per_hour = number("FIELDGRID_REGISTRATIONS_PER_HOUR", v)? as u64;
        }
        if let Some(v) = var("FIELDGRID_METRICS_TOKEN") {
            config.metrics_token = Some(v);
        }
        if let Some(v) = var("FIELDGRID_PUBLIC_URL") {
            if !(v.starts_with("https://") || v.starts_with("http://")) {
                return Err(ConfigError::Env {
                    name: "FIELDGRID_PUBLIC_URL",
                    message: format!("must start with https:// or http://, not {v:?}"),
                });
            }
            config.public_url = Some(v.trim_end_matches('/').to_owned());
        }
        if let Some(v) = var("FIELDGRID_MAX_CONNECTIONS") {
            config.max_connections = number("FIELDGRID_MAX_CONNECTIONS", v)?;
        }
        config.check()?;
        Ok(config)
    }

    /// Refuses settings that would weaken the server silently.
    pub fn check(&self) -> Result<(), ConfigError> {
        let loopback = self
            .listen
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback())
            || self.listen.starts_with("localhost:");
        if self.plain_http_loopback && !loopback {
            return Err(ConfigError::Env {
                name: "FIELDGRID_PLAIN_HTTP_LOOPBACK",
                message: format!(
                    "plain HTTP cookies are allowed on a loopback listen address only, not {}",
                    self.listen
                ),
            });
        }
        if self.max_connections == 0 {
            return Err(ConfigError::Env {
                name: "FIELDGRID_MAX_CONNECTIONS",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The HTTP front's limits.
    pub fn http_limits(&self) -> crate::http::HttpLimits {
        crate::http::HttpLimits {
            max_connections: self.max_connections,
            header_timeout: std::time::Duration::from_secs(self.header_timeout_secs.max(1)),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs.max(1)),
        }
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
        // Photos in object storage when `FIELDGRID_BLOBS` names one (several
        // instances share it), else under the data folder.
        let blobs: Arc<dyn crate::blobs::BlobStore> =
            match ObjectBlobStore::from_env().map_err(|e| StorageError::Other(e.to_string()))? {
                Some(store) => Arc::new(store),
                None => Arc::new(FsBlobStore::new(self.data_dir.join("blobs")).map_err(|e| {
                    StorageError::Other(format!("cannot create the blob folder: {e}"))
                })?),
            };
        Ok(AppState::new(
            storage,
            blobs,
            Settings {
                min_app_version: self.min_app_version.clone(),
                max_body_bytes: self.max_body_bytes,
                secure_cookies: !self.plain_http_loopback,
                trust_forwarded_for: self.trust_forwarded_for,
                upload_max_age_s: (self.upload_max_age_hours * 3600) as i64,
                registrations_per_hour: self.registrations_per_hour,
                metrics_token: self.metrics_token.clone(),
                public_url: self.public_url.clone(),
                read_model_dir: Some(self.data_dir.join("read-model")),
            },
        ))
    }
}
