//! The pages' read model: a `FieldStore` (the same store a phone keeps) that
//! follows the server's documents and change sequence, so the pages get the
//! core's lists, queues, statistics, form checks and field history.
//!
//! - **Never ahead of storage.** Nothing is written into it but what storage
//!   holds: a page's step or an intake is built off to the side
//!   (`fieldgrid_core::change_record`), pushed through the one push path, and
//!   reaches the read model only by the change sequence, after storage accepted
//!   it, exactly like a phone's change. A refused change leaves no trace.
//! - **Kept across restarts.** Each instance keeps its own in its data folder
//!   (`read-model/`) and notes in it how far it has followed the sequence and of
//!   which database; on a start it goes on from there, and starts again only for
//!   another database.
//! - **Readers never wait for readers.** Pages read through a set of read-only
//!   handles on the file (SQLite's WAL lets them read while the follower
//!   writes), each page taking one no other page is reading through; one handle
//!   follows. A page view first asks storage how far the
//!   sequence goes: when the read model is there already it reads at once,
//!   otherwise it waits for the one catch-up under way (or starts it), which
//!   writes a page of changes per transaction and never holds readers out.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use fieldgrid_core::FieldStore;
use fieldgrid_core::protocol::DocPayload;

use crate::AppState;
use crate::storage::StorageError;

/// Documents or changes applied per transaction while following.
const PAGE: u32 = 500;

/// The read model of this instance and how far it has followed storage.
pub struct Replica {
    /// The handle that follows: the only writer.
    writer: Arc<FieldStore>,
    /// The handles pages read through, taken in turn.
    readers: Vec<Arc<FieldStore>>,
    next: AtomicUsize,
    /// The database followed (its identity).
    source: String,
    /// What the readers can see.
    seen: std::sync::Mutex<Seen>,
    /// Held by the one catch-up under way.
    catch_up: tokio::sync::Mutex<()>,
    _dir: Option<tempfile::TempDir>,
}

/// How far the read model has come: the change sequence and each kind of
/// reference data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    position: i64,
    tree: u64,
    catalogue: Option<u64>,
    forms: Option<u64>,
}

impl Seen {
    /// Whether a read model at `self` shows everything of `want`.
    fn covers(&self, want: &Seen) -> bool {
        self.position >= want.position
            && self.tree == want.tree
            && self.catalogue == want.catalogue
            && self.forms == want.forms
    }
}

/// Something the read model could not do.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The core refused.
    #[error(transparent)]
    Core(#[from] fieldgrid_core::Error),
    /// Its folder could not be prepared.
    #[error("the read model's folder {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("read model task panicked")
}

/// How many read handles: enough that page views on every core never share one.
fn reader_count() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 8)
}

impl Replica {
    /// Opens the read model in `dir` (made if missing), following the database
    /// `source`; with no `dir`, an empty one in a temporary folder. A read model
    /// of another database is removed and started again.
    pub fn open(dir: Option<&Path>, source: &str) -> Result<Replica, ReplicaError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| ReplicaError::Io { path, source }
        };
        let (temp, dir) = match dir {
            Some(d) => (None, d.to_owned()),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("fieldgrid-web-")
                    .tempdir()
                    .map_err(io(&std::env::temp_dir()))?;
                let d = t.path().to_owned();
                (Some(t), d)
            }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let file = dir.join("replica.sqlite");
        let mut writer = FieldStore::open(&file)?;
        if let Some(followed) = writer.followed()?
            && followed.source != source
        {
            tracing::info!(
                dir = %dir.display(),
                "the read model followed another database; starting it again"
            );
            drop(writer);
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            writer = FieldStore::open(&file)?;
        }
        let readers = (0..reader_count())
            .map(|_| FieldStore::open(&file).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let seen = Seen {
            position: writer.followed()?.map_or(0, |f| f.position),
            tree: writer.org_tree_version()?.unwrap_or(0),
            catalogue: writer.catalogue()?.map(|c| c.version),
            forms: writer.form_pack_version()?,
        };
        if seen.position > 0 {
            tracing::info!(position = seen.position, "read model kept from before");
        }
        Ok(Replica {
            writer: Arc::new(writer),
            readers,
            next: AtomicUsize::new(0),
            source: source.to_owned(),
            seen: std::sync::Mutex::new(seen),
            catch_up: tokio::sync::Mutex::new(()),
            _dir: temp,
        })
    }

    fn seen(&self) -> Seen {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_seen(&self, seen: Seen) {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = seen;
    }

    /// A read handle: one no page is reading through, if any (a handle in use is
    /// held by the page's clone of it), else the next in turn. A quick page does
    /// not wait behind a long query on a handle it happened to share.
    fn reader(&self) -> Arc<FieldStore> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        let free = (0..n)
            .map(|k| &self.readers[(start + k) % n])
            .find(|r| Arc::strong_count(r) == 1);
        free.unwrap_or(&self.readers[start % n]).clone()
    }

    /// How far the read model has followed the change sequence.
    pub fn position(&self) -> i64 {
        self.seen().position
    }

    /// A read handle on the read model, once it holds everything storage held
    /// when this was asked.
    pub async fn current(&self, state: &AppState) -> Result<Arc<FieldStore>, ReplicaError> {
        let want = wanted(state).await?;
        if self.seen().covers(&want) {
            return Ok(self.reader());
        }
        let _one = self.catch_up.lock().await;
        if !self.seen().covers(&want) {
            self.follow(state, want).await?;
        }
        Ok(self.reader())
    }

    /// Brings the read model up to `want` at least: reference data first, then
    /// the documents (all of them into an empty one) or the changes since.
    async fn follow(&self, state: &AppState, want: Seen) -> Result<(), ReplicaError> {
        let mut seen = self.seen();
        let store = self.writer.clone();
        let tree = state.org_tree().await?;
        if tree.version != seen.tree {
            let (s, t) = (store.clone(), tree.clone());
            blocking(move || s.import_org_tree(&t)).await?;
            seen.tree = tree.version;
            self.set_seen(seen);
        }
        let catalogue = state.catalogue().await?;
        if seen.catalogue != Some(catalogue.version) {
            let (s, c) = (store.clone(), catalogue.clone());
            blocking(move || s.import_catalogue(&c)).await?;
        }
        seen.catalogue = Some(catalogue.version);
        let forms = fieldgrid_core::ReferenceKind::FormPack.as_str();
        if want.forms.is_some()
            && want.forms != seen.forms
            && let Some((version, body)) = state.storage.reference(forms).await?
        {
            match serde_json::from_str(&body) {
                Ok(pack) => {
                    let s = store.clone();
                    blocking(move || s.import_form_pack(&pack)).await?;
                }
                Err(e) => tracing::warn!(version, "the published form pack is unreadable: {e}"),
            }
            seen.forms = Some(version);
        }
        self.set_seen(seen);
        let grids: Vec<String> = tree.grids.iter().map(|g| g.code.clone()).collect();
        let last = state.storage.last_seq().await?.max(want.position);
        if seen.position == 0 && last > 0 {
            // An empty read model: every document, then the sequence from where it
            // stood before the first page was read.
            let started = std::time::Instant::now();
            let (mut after, mut count) = (String::new(), 0usize);
            loop {
                let page = state.storage.documents_page(&grids, &after, PAGE).await?;
                let Some(end) = page.last().map(|d| d.doc_id.clone()) else {
                    break;
                };
                count += page.len();
                let docs: Vec<DocPayload> = page
                    .into_iter()
                    .map(|d| DocPayload {
                        id: d.doc_id,
                        kind: d.kind,
                        data: d.data,
                    })
                    .collect();
                self.apply(docs, 0).await?;
                after = end;
            }
            self.apply(Vec::new(), last).await?;
            tracing::info!(
                documents = count,
                position = last,
                ms = started.elapsed().as_millis() as u64,
                "read model filled"
            );
        } else {
            let mut from = seen.position;
            while from < last {
                let rows = state
                    .storage
                    .changes_after(from, last, &grids, "", PAGE)
                    .await?;
                let Some(end) = rows.last().map(|r| r.seq) else {
                    break;
                };
                let docs: Vec<DocPayload> = rows
                    .into_iter()
                    .map(|r| DocPayload {
                        id: r.doc_id,
                        kind: r.kind,
                        data: r.bytes,
                    })
                    .collect();
                self.apply(docs, end).await?;
                from = end;
            }
            // Nothing of ours past `from` up to `last` (other grids' changes).
            self.apply(Vec::new(), last).await?;
        }
        Ok(())
    }

    /// Applies one page and notes `position` with it; readers see it from then on.
    async fn apply(&self, docs: Vec<DocPayload>, position: i64) -> Result<(), ReplicaError> {
        let (s, source) = (self.writer.clone(), self.source.clone());
        blocking(move || s.apply_followed(&source, &docs, position)).await?;
        let mut seen = self.seen();
        seen.position = seen.position.max(position);
        self.set_seen(seen);
        Ok(())
    }

    /// This read model's device id: the pages' changes are written with it.
    pub fn device_id(&self) -> String {
        self.writer.device_id()
    }
}

/// What storage holds now: the end of the change sequence and the versions of
/// the reference data the read model keeps.
async fn wanted(state: &AppState) -> Result<Seen, ReplicaError> {
    // Each of these compares versions only, and reads a body when one changed.
    let tree = state.org_tree().await?.version;
    let catalogue = Some(state.catalogue().await?.version);
    let forms = fieldgrid_core::ReferenceKind::FormPack.as_str();
    let forms = state
        .storage
        .reference_versions()
        .await?
        .into_iter()
        .find(|(what, _)| what == forms)
        .map(|(_, v)| v);
    Ok(Seen {
        position: state.storage.last_seq().await?,
        tree,
        catalogue,
        forms,
    })
}

/// The read model of this instance, opened on first use.
pub async fn get(state: &AppState) -> Result<Arc<Replica>, ReplicaError> {
    Ok(state
        .replica
        .get_or_try_init(|| async {
            let source = state.storage.identity().await?;
            let dir = state.settings.read_model_dir.clone();
            blocking(move || Replica::open(dir.as_deref(), &source).map(Arc::new)).await
        })
        .await?
        .clone())
}

/// A read handle on the read model, caught up with storage now.
pub async fn store(state: &AppState) -> Result<Arc<FieldStore>, ReplicaError> {
    get(state).await?.current(state).await
}
