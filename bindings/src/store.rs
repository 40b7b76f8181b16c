//! [`FieldGrid`]: the store handle, with patrols, incidents, photos, org tree and
//! search. Households and forms are in `households.rs`, sync in `sync.rs`.

use std::sync::Arc;

use fieldgrid_core::FieldStore;
use fieldgrid_core::incident::{DayCount, replay};
use fieldgrid_core::records::{GeoPoint, Incident, RecordKind};

use crate::error::{ApiError, ApiResult};
use crate::records::*;
use crate::types::{FixInput, TravelModeInfo};

/// The phone's store. One per app process; every method is safe from any thread.
#[derive(uniffi::Object)]
pub struct FieldGrid {
    pub(crate) store: FieldStore,
}

pub(crate) fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[uniffi::export]
impl FieldGrid {
    /// Opens (or creates) the store at `path`. With `key` (at least 16 bytes, kept
    /// in the Android Keystore / iOS Keychain) the database and photos are
    /// encrypted at rest; a wrong key is [`ApiError::WrongKey`].
    #[uniffi::constructor]
    pub fn open(path: String, key: Option<Vec<u8>>) -> ApiResult<Arc<Self>> {
        let store = match key {
            Some(k) => FieldStore::open_encrypted(&path, &k)?,
            None => FieldStore::open(&path)?,
        };
        Ok(Arc::new(FieldGrid { store }))
    }

    /// This device's id.
    pub fn device_id(&self) -> String {
        self.store.device_id()
    }

    /// Whether the store is encrypted at rest.
    pub fn is_encrypted(&self) -> bool {
        self.store.is_encrypted()
    }

    /// Makes `staff_id` the author of every following change.
    pub fn sign_in(&self, staff_id: String) {
        self.store.sign_in(&staff_id);
    }

    /// Ends the session.
    pub fn sign_out(&self) {
        self.store.sign_out();
    }

    /// The signed-in person, if any.
    pub fn current_user(&self) -> Option<String> {
        self.store.current_user()
    }

    /// A call that does nothing, to measure the cost of crossing the FFI.
    pub fn ping(&self) -> u32 {
        1
    }

    /// Counts fixes without storing them: the cost of passing a batch across the FFI.
    pub fn count_fixes(&self, fixes: Vec<FixInput>) -> u32 {
        fixes.len() as u32
    }

    /// The grids `staff_id` works in (from the org tree).
    pub fn grids_of(&self, staff_id: String) -> ApiResult<Vec<GridInfo>> {
        Ok(self
            .store
            .grids_of(&staff_id)?
            .into_iter()
            .map(GridInfo::from)
            .collect())
    }

    /// The grids containing a place, special grids first.
    pub fn grids_at(&self, lat: f64, lon: f64) -> ApiResult<Vec<GridInfo>> {
        Ok(self
            .store
            .grids_containing(GeoPoint { lat, lon })?
            .into_iter()
            .map(GridInfo::from)
            .collect())
    }

    /// Starts a patrol of `grid_code` by the signed-in worker; returns its id.
    pub fn start_patrol(
        &self,
        grid_code: String,
        purpose: String,
        mode: TravelModeInfo,
    ) -> ApiResult<String> {
        Ok(self.store.start_patrol(&grid_code, &purpose, mode.into())?)
    }

    /// Stores a batch of fixes (one durable transaction). Send them in batches
    /// (e.g. every 10–30 s); single fixes cost a transaction each.
    pub fn ingest_fixes(
        &self,
        patrol_id: String,
        fixes: Vec<FixInput>,
    ) -> ApiResult<IngestSummary> {
        let core: Vec<_> = fixes.iter().map(Into::into).collect();
        let r = self.store.ingest_fixes(&patrol_id, &core)?;
        Ok(IngestSummary {
            accepted: r.accepted,
            rejected: r.rejected.len() as u64,
            jumps: r.jumps,
            mocked: r.mocked,
        })
    }

    /// Pauses a patrol.
    pub fn pause_patrol(&self, patrol_id: String) -> ApiResult<()> {
        Ok(self.store.pause_patrol(&patrol_id)?)
    }

    /// Resumes a paused patrol.
    pub fn resume_patrol(&self, patrol_id: String) -> ApiResult<()> {
        Ok(self.store.resume_patrol(&patrol_id)?)
    }

    /// Stops a patrol; its last track chunk is sealed for upload.
    pub fn stop_patrol(&self, patrol_id: String) -> ApiResult<PatrolSummary> {
        Ok(self.store.stop_patrol(&patrol_id)?.into())
    }

    /// A patrol's state and figures.
    pub fn patrol(&self, patrol_id: String) -> ApiResult<PatrolSummary> {
        Ok(self.store.patrol(&patrol_id)?.into())
    }

    /// A worker's patrols, newest first.
    pub fn patrols_of(&self, worker_id: String) -> ApiResult<Vec<PatrolSummary>> {
        Ok(self
            .store
            .patrols_of(&worker_id)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The categories the picker offers for what the user typed: a Chinese name
    /// (噪音) or its pinyin initials (zyrm), best first, retired ones left out.
    pub fn search_categories(&self, query: String, limit: u32) -> ApiResult<Vec<CategoryChoice>> {
        Ok(self
            .store
            .search_categories(&query, limit as usize)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Reports an incident as the signed-in user; its photos are attached. The
    /// category must be one in force (`Invalid` otherwise, nothing stored).
    pub fn report_incident(&self, incident: NewIncident) -> ApiResult<String> {
        let reporter = self.store.current_user().ok_or(ApiError::NotSignedIn {
            detail: "sign in before reporting".into(),
        })?;
        let location = match (incident.lat, incident.lon) {
            (Some(lat), Some(lon)) => {
                let p = GeoPoint { lat, lon };
                if !p.is_valid() {
                    return Err(ApiError::Invalid {
                        detail: "the incident's place is not a possible position".into(),
                    });
                }
                Some(p)
            }
            _ => None,
        };
        let id = self.store.report_incident(&Incident {
            grid_code: incident.grid_code,
            category: incident.category,
            description: incident.description,
            location,
            reporter_id: reporter,
            reported_at: now_s(),
            urgency: Default::default(),
            transitions: vec![],
            resident_id: None,
            satisfaction: None,
            photos: incident.photos.clone(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })?;
        for hash in incident.photos {
            self.store.attach_photo(&hash, &id, "report")?;
        }
        Ok(id)
    }

    /// Moves an incident along (`accepted`, `dispatched`, `handling`, `handled`,
    /// `verified`, `closed`, ...) as the signed-in user acting in `role`.
    /// Whether the step is allowed is decided by the replay on every device (a
    /// step that does not apply is kept as a conflict for a supervisor).
    pub fn incident_step(
        &self,
        incident_id: String,
        to: String,
        role: String,
        note: String,
        assignee: Option<String>,
    ) -> ApiResult<IncidentSummary> {
        if self.store.current_user().is_none() {
            return Err(ApiError::NotSignedIn {
                detail: "sign in before acting on an incident".into(),
            });
        }
        let Some(action) = fieldgrid_core::incident::Action::parse(&to) else {
            return Err(ApiError::Invalid {
                detail: format!("unknown incident step {to:?}"),
            });
        };
        self.store
            .incident_step(&incident_id, action, &role, &note, assignee.as_deref())?;
        self.incident(incident_id)
    }

    /// An incident's replayed state.
    pub fn incident(&self, incident_id: String) -> ApiResult<IncidentSummary> {
        let i: Incident = self.store.get(&incident_id)?;
        let state = replay(&i);
        let photos = self
            .store
            .photos_of(&incident_id)?
            .into_iter()
            .map(|p| p.photo.hash)
            .collect();
        Ok(IncidentSummary {
            id: incident_id,
            grid_code: i.grid_code,
            category: i.category,
            description: i.description,
            stage: state.stage.as_str().into(),
            assignee: state.assignee,
            transitions: i.transitions.len() as u32,
            conflicts: state.conflicts.len() as u32,
            photos,
        })
    }

    /// Open incidents by colour (overdue first), counting work days.
    pub fn incident_queue(&self, include_done: bool) -> ApiResult<Vec<QueueEntry>> {
        Ok(self
            .store
            .incident_queue(now_s(), DayCount::WorkDays, include_done)?
            .into_iter()
            .map(QueueEntry::from)
            .collect())
    }

    /// The full-text search over names, addresses, door plates and notes.
    pub fn search(
        &self,
        query: String,
        grid_codes: Vec<String>,
        limit: u32,
    ) -> ApiResult<Vec<SearchResult>> {
        let filter = fieldgrid_core::SearchFilter {
            kinds: Vec::new(),
            grid_codes,
        };
        Ok(self
            .store
            .search(&query, &filter, limit as usize)?
            .into_iter()
            .map(|h| SearchResult {
                id: h.id,
                kind: h.kind.as_str().into(),
                title: h.title,
                grid_code: h.grid_code,
            })
            .collect())
    }

    /// The JPEG of a stored photo (decrypted), for display.
    pub fn photo_bytes(&self, hash: String, thumbnail: bool) -> ApiResult<Option<Vec<u8>>> {
        Ok(self.store.photo_bytes(&hash, thumbnail)?)
    }

    /// How many records of each kind are stored: households, persons, incidents,
    /// patrol logs.
    pub fn record_counts(&self) -> ApiResult<Vec<u64>> {
        let docs = self.store.documents()?;
        Ok(RecordKind::ALL
            .iter()
            .map(|k| docs.iter().filter(|d| d.kind == *k).count() as u64)
            .collect())
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldGrid {
    /// Processes and stores a camera photo (JPEG or PNG): upright, resized,
    /// recompressed, with a thumbnail. Off the calling thread.
    pub async fn add_photo(self: Arc<Self>, bytes: Vec<u8>) -> ApiResult<PhotoSummary> {
        let me = self.clone();
        let info = tokio::task::spawn_blocking(move || me.store.add_photo(&bytes))
            .await
            .map_err(|e| ApiError::Internal {
                detail: e.to_string(),
            })??;
        Ok(PhotoSummary {
            hash: info.hash,
            width: info.width,
            height: info.height,
            bytes: info.bytes,
        })
    }
}
