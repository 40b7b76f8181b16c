//! A real `fieldgrid-server` on a loopback port, in this process.

use std::net::SocketAddr;
use std::sync::Arc;

use fieldgrid_core::org::demo::demo_county;
use fieldgrid_core::sync::token_hash;
use fieldgrid_server::blobs::FsBlobStore;
use fieldgrid_server::http::HttpLimits;
use fieldgrid_server::storage::{PostgresStorage, SqliteStorage, Storage};
use fieldgrid_server::{AppState, Settings, admin, app};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Which storage the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file.
    Sqlite,
    /// A fresh database on the test PostgreSQL cluster.
    Postgres,
}

impl Backend {
    /// Both backends, for tests that must pass on each.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// Opens storage of this kind in `dir` (SQLite) or on the cluster.
    pub async fn open(self, dir: &std::path::Path) -> Arc<dyn Storage> {
        match self {
            Backend::Sqlite => Arc::new(SqliteStorage::open(dir.join("server.sqlite")).unwrap()),
            Backend::Postgres => Arc::new(
                PostgresStorage::connect(&crate::pg::fresh_database().await, 16)
                    .await
                    .unwrap(),
            ),
        }
    }
}

/// A running server with the demo county published and an administrator.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The listening address.
    pub addr: SocketAddr,
    /// The server's state, for looking behind the API.
    pub state: AppState,
    /// An administrator's token.
    pub admin_token: String,
    /// Holds the SQLite file and blobs.
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with default settings.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Settings::default()).await
    }

    /// Starts a server with the given settings.
    pub async fn start_with(backend: Backend, settings: Settings) -> Self {
        Self::start_full(backend, settings, HttpLimits::default()).await
    }

    /// Starts a server with the given settings and HTTP limits.
    pub async fn start_full(backend: Backend, settings: Settings, limits: HttpLimits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = backend.open(dir.path()).await;
        let blobs = Arc::new(FsBlobStore::new(dir.path().join("blobs")).unwrap());
        let state = AppState::new(storage, blobs, settings);
        let (addr, tx, task) = serve(state.clone(), limits).await;
        let admin_token = format!("adm_{}", uuid::Uuid::new_v4().simple());
        state
            .storage
            .create_admin("test-admin", &token_hash(&admin_token), 0)
            .await
            .unwrap();
        admin::publish(&state, &demo_county()).await.unwrap();
        admin::publish(&state, &fieldgrid_core::incident::default_catalogue())
            .await
            .unwrap();
        admin::publish(&state, &fieldgrid_core::forms::default_form_pack())
            .await
            .unwrap();
        TestServer {
            url: format!("http://{addr}"),
            addr,
            state,
            admin_token,
            dir,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The server's `/metrics`, asked from this machine: each sample (its name with
    /// its labels, as the text format writes them) and its value.
    pub async fn metrics(&self) -> std::collections::HashMap<String, f64> {
        let text = crate::web::client()
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (sample, value) = l.rsplit_once(' ')?;
                Some((sample.to_owned(), value.parse().ok()?))
            })
            .collect()
    }

    /// An HTTP PUT to the admin API, returning the status.
    pub async fn admin_put(&self, path: &str, body: serde_json::Value) -> reqwest::StatusCode {
        self.admin_call(reqwest::Method::PUT, path, body).await
    }

    /// An HTTP POST to the admin API, returning the status.
    pub async fn admin_post(&self, path: &str, body: serde_json::Value) -> reqwest::StatusCode {
        self.admin_call(reqwest::Method::POST, path, body).await
    }

    async fn admin_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::StatusCode {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// Another server instance on the same storage and blobs (as a second instance
/// behind a load balancer, or the same server after a restart): its own process
/// state, nothing shared in memory.
pub struct Instance {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state.
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Instance {
    /// Starts an instance over `storage` and `blobs` with `settings`.
    pub async fn start(
        storage: Arc<dyn Storage>,
        blobs: Arc<dyn fieldgrid_server::blobs::BlobStore>,
        settings: Settings,
    ) -> Instance {
        let state = AppState::new(storage, blobs, settings);
        let (addr, tx, _task) = serve(state.clone(), HttpLimits::default()).await;
        Instance {
            url: format!("http://{addr}"),
            state,
            shutdown: Some(tx),
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve(
    state: AppState,
    limits: HttpLimits,
) -> (SocketAddr, oneshot::Sender<()>, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let live = state.live.clone();
    let connections = state.metrics.connections.clone();
    let router = app(state);
    let task = tokio::spawn(async move {
        fieldgrid_server::http::serve(listener, router, limits, connections, async move {
            let _ = rx.await;
            live.close();
        })
        .await
        .unwrap();
    });
    (addr, tx, task)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
