//! The pages' read model: a `FieldStore` (the same store a phone keeps) fed from
//! the server's documents and change sequence, so the pages get the core's lists,
//! queues, statistics, form checks and field history. It is a cache: each server
//! instance builds its own from the shared storage, in a temporary directory, and
//! catches up before every page. Actions taken on a page (dispatching an
//! incident...) are written here as the supervisor and pushed through the same
//! path as a phone's changes, so they reach the phones on their next sync.

use std::sync::Arc;

use fieldgrid_core::FieldStore;
use fieldgrid_core::records::{Incident, IncidentTransition};
use tokio::sync::Mutex;

use crate::AppState;
use crate::storage::StorageError;

/// The replica and how far it has followed the change sequence.
pub struct Replica {
    store: Arc<FieldStore>,
    applied: Mutex<(i64, u64)>,
    _dir: tempfile::TempDir,
}

/// Something the replica could not do.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The core refused.
    #[error(transparent)]
    Core(#[from] fieldgrid_core::Error),
    /// A concurrent save won; try again.
    #[error("the record changed at the same time; try again")]
    Conflict,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("replica task panicked")
}

impl Replica {
    /// A new, empty replica in a temporary directory.
    pub fn new() -> Result<Replica, ReplicaError> {
        let dir = tempfile::Builder::new()
            .prefix("fieldgrid-web-")
            .tempdir()
            .map_err(|e| fieldgrid_core::Error::Io {
                path: std::env::temp_dir(),
                source: e,
            })?;
        let store = FieldStore::open(dir.path().join("replica.sqlite"))?;
        Ok(Replica {
            store: Arc::new(store),
            applied: Mutex::new((0, 0)),
            _dir: dir,
        })
    }

    /// The store, caught up with everything the storage holds.
    pub async fn current(&self, state: &AppState) -> Result<Arc<FieldStore>, ReplicaError> {
        let mut applied = self.applied.lock().await;
        let tree = state.org_tree().await?;
        let last = state.storage.last_seq().await?;
        let store = self.store.clone();
        if tree.version > applied.1 {
            let t = tree.clone();
            let s = store.clone();
            blocking(move || s.import_org_tree(&t)).await?;
        }
        // The catalogue and the form pack, each when a newer one was published
        // (whether or not the org tree changed with it).
        let catalogue = state.catalogue().await?;
        if store.catalogue()?.map(|c| c.version) != Some(catalogue.version) {
            let s = store.clone();
            blocking(move || s.import_catalogue(&catalogue)).await?;
        }
        let forms = fieldgrid_core::ReferenceKind::FormPack.as_str();
        let published = state
            .storage
            .reference_versions()
            .await?
            .into_iter()
            .find(|(what, _)| what == forms)
            .map(|(_, v)| v);
        if published.is_some()
            && published != store.form_pack_version()?
            && let Some((_, body)) = state.storage.reference(forms).await?
            && let Ok(pack) = serde_json::from_str(&body)
        {
            let s = store.clone();
            blocking(move || s.import_form_pack(&pack)).await?;
        }
        let grids: Vec<String> = tree.grids.iter().map(|g| g.code.clone()).collect();
        if applied.0 == 0 && last > 0 {
            // First fill: every document, then the sequence from where it stood.
            let mut after = String::new();
            loop {
                let page = state.storage.documents_page(&grids, &after, 500).await?;
                let Some(end) = page.last().map(|d| d.doc_id.clone()) else {
                    break;
                };
                let s = store.clone();
                blocking(move || -> Result<(), fieldgrid_core::Error> {
                    for d in page {
                        s.apply_changes(d.kind, &d.doc_id, &d.data)?;
                    }
                    Ok(())
                })
                .await?;
                after = end;
            }
        } else {
            loop {
                let rows = state
                    .storage
                    .changes_after(applied.0, last, &grids, "", 1000)
                    .await?;
                if rows.is_empty() {
                    break;
                }
                applied.0 = rows.last().map_or(last, |r| r.seq);
                let s = store.clone();
                blocking(move || -> Result<(), fieldgrid_core::Error> {
                    for r in rows {
                        s.apply_changes(r.kind, &r.doc_id, &r.bytes)?;
                    }
                    Ok(())
                })
                .await?;
            }
        }
        *applied = (last, tree.version);
        Ok(store)
    }

    /// This replica's device id: the pages' changes are written with it.
    pub fn device_id(&self) -> String {
        self.store.device_id()
    }

    /// Appends `transition` to incident `id` in the replica as `staff` and returns
    /// the new changes, for the caller to push like a phone's. One writer at a time:
    /// the store's signed-in user is the author.
    pub(crate) async fn incident_step_changes(
        &self,
        staff: &str,
        id: &str,
        transition: IncidentTransition,
    ) -> Result<Vec<u8>, ReplicaError> {
        let _writer = self.applied.lock().await;
        let (s, id, who) = (self.store.clone(), id.to_owned(), staff.to_owned());
        Ok(blocking(move || -> Result<Vec<u8>, fieldgrid_core::Error> {
            let before = s.heads(&id)?;
            s.sign_in(&who);
            let result = s.update::<Incident>(&id, |i| i.transitions.push(transition));
            s.sign_out();
            result?;
            s.changes_since(&id, &before)
        })
        .await?)
    }
}

impl Replica {
    /// Creates incident `id` in the replica as `staff` and returns its changes,
    /// for the caller to push like a phone's report.
    pub(crate) async fn incident_create_changes(
        &self,
        staff: &str,
        id: &str,
        incident: Incident,
    ) -> Result<Vec<u8>, ReplicaError> {
        let _writer = self.applied.lock().await;
        let (s, id, who) = (self.store.clone(), id.to_owned(), staff.to_owned());
        Ok(blocking(move || -> Result<Vec<u8>, fieldgrid_core::Error> {
            s.sign_in(&who);
            let result = s.create_with_id(&id, &incident);
            s.sign_out();
            result?;
            s.changes_since(&id, &[])
        })
        .await?)
    }
}

/// The replica of this instance, built on first use.
pub async fn get(state: &AppState) -> Result<Arc<Replica>, ReplicaError> {
    Ok(state
        .replica
        .get_or_try_init(|| async { Replica::new().map(Arc::new) })
        .await?
        .clone())
}

/// The replica's store, caught up now.
pub async fn store(state: &AppState) -> Result<Arc<FieldStore>, ReplicaError> {
    get(state).await?.current(state).await
}
