//! The phone's sync client over HTTP (reqwest).
//!
//! `sync()` repeats rounds of `POST /v1/sync` until nothing is left to push and the
//! server has nothing more to send. Every round's outcome is stored before the next
//! starts, so a sync cut anywhere (network gone, app killed) resumes where it
//! stood. Failed requests are retried with exponential backoff and jitter.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use crate::protocol::endpoints::{self as ep, Endpoint};
pub use crate::protocol::endpoints::{RegisterRequest, RegisterResponse, RegistrationState};

use crate::FieldStore;
use crate::kind::{ReferenceData, ReferenceKind};
use crate::org::OrgTree;
use crate::protocol::{
    self, CBOR, ErrorBody, ErrorCode, NewsCheck, PROTOCOL_VERSION, SyncRequest, SyncResponse,
};

/// Why a sync (or a registration call) failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be reached, or kept failing, after every retry.
    #[error("the server could not be reached: {0}")]
    Network(String),
    /// The token is missing, wrong, or not approved yet.
    #[error("the server did not accept this device's credentials: {0}")]
    Unauthenticated(String),
    /// The device was revoked: the app must call [`FieldStore::wipe_local_data`].
    #[error("this device was revoked by an administrator; its local data must be wiped")]
    DeviceRevoked,
    /// The app is too old for the server.
    #[error("please update the app: {0}")]
    UpgradeRequired(String),
    /// The server refused a request.
    #[error("the server refused the request ({code:?}): {message}")]
    Refused {
        /// The server's error class.
        code: ErrorCode,
        /// The server's message.
        message: String,
    },
    /// The server answered something that is not a valid sync message.
    #[error("the server's answer was not understood: {0}")]
    Protocol(String),
    /// Storing what arrived failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

/// How often and how patiently to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The first pause; each later one doubles, up to `max_delay`.
    pub base_delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Progress of a running sync, reported after every round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    /// Rounds done.
    pub rounds: u32,
    /// Records pushed and accepted so far.
    pub pushed: u64,
    /// Records the server refused so far.
    pub rejected: u64,
    /// Records received so far.
    pub pulled: u64,
    /// Records still to push.
    pub pending: u64,
    /// Request bytes sent (bodies).
    pub bytes_sent: u64,
    /// Response bytes received (bodies).
    pub bytes_received: u64,
    /// Whether the server said more is waiting.
    pub more: bool,
    /// Sealed GPS track chunks the server confirmed.
    pub track_chunks: u64,
    /// Photos the server now holds whole.
    pub photos: u64,
    /// Photos left for later: the network is metered and photos wait for Wi-Fi,
    /// or another device is uploading the same photo right now.
    pub photos_deferred: u64,
    /// Knowledge-base items (entries and grid tasks) received.
    pub knowledge_items: u64,
}

/// How old the last good sync may grow before the background job syncs even
/// without news (seconds).
pub const FULL_SYNC_AFTER_S: i64 = 3_600;

/// A live position is sent only from a fix at most this old (ms): a phone that
/// lost its fix says nothing rather than repeat a stale place.
pub const LIVE_FIX_MAX_AGE_MS: i64 = 120_000;

/// Knowledge-base items asked for per page (a page of guides is about 300 KB).
pub const KNOWLEDGE_PAGE: u32 = 500;

/// The sync client of one device.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    token: String,
    app_version: String,
    retry: RetryPolicy,
    max_pull: u32,
    knowledge_page: u32,
    photos_on_metered: bool,
    metered: bool,
    /// Requests sent again after a failure, shared by the client's clones.
    retries: Arc<AtomicU64>,
}

/// A new device's credentials: keep `token` in the Keystore/Keychain.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The registration to poll.
    pub registration_id: String,
    /// The device's secret token.
    pub token: String,
}

/// The hash under which the server stores a token.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

impl SyncClient {
    /// A client for the server at `base_url` (e.g. `https://sync.example.cn`), with
    /// the device's token.
    pub fn new(base_url: &str, token: &str, app_version: &str) -> Result<Self, SyncError> {
        let retry = RetryPolicy::default();
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SyncError::Network(describe(&e)))?;
        Ok(SyncClient {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            app_version: app_version.to_owned(),
            retry,
            max_pull: 500,
            knowledge_page: KNOWLEDGE_PAGE,
            photos_on_metered: true,
            metered: false,
            retries: Arc::new(AtomicU64::new(0)),
        })
    }

    /// How many requests this client (and its clones) sent again after a
    /// failure (a server error, 429, or the network), since it was made.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        if let Ok(http) = reqwest::Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
        {
            self.http = http;
        }
        self.retry = retry;
        self
    }

    /// Whether photos may upload over a metered (mobile) network; when not, they
    /// wait for Wi-Fi (records and tracks still sync).
    pub fn with_photos_on_metered(mut self, allowed: bool) -> Self {
        self.photos_on_metered = allowed;
        self
    }

    /// Tells the client whether the current network is metered (the app knows).
    pub fn set_metered(&mut self, metered: bool) {
        self.metered = metered;
    }

    /// Asks for `items` knowledge-base items per page (default 500).
    pub fn with_knowledge_page(mut self, items: u32) -> Self {
        self.knowledge_page = items.clamp(1, protocol::MAX_KNOWLEDGE_PAGE);
        self
    }

    /// How many records to take per response.
    pub fn with_page_size(mut self, max_pull: u32) -> Self {
        self.max_pull = max_pull.max(1);
        self
    }

    /// Registers a person on this device; returns the registration and the new
    /// secret token. The token works once an administrator approves.
    pub async fn register(
        base_url: &str,
        store: &FieldStore,
        name: &str,
        id_number: &str,
        phone: &str,
    ) -> Result<Registration, SyncError> {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let body = RegisterRequest {
            device_id: store.device_id(),
            name: name.to_owned(),
            id_number: id_number.to_owned(),
            phone: phone.to_owned(),
            token_hash: token_hash(&token),
        };
        let client = SyncClient::new(base_url, &token, "")?;
        let response = client
            .send(|| {
                client
                    .http
                    .post(format!("{}{}", client.base, ep::Register.path()))
                    .json(&body)
            })
            .await?;
        let parsed: RegisterResponse = response
            .json()
            .await
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(Registration {
            registration_id: parsed.registration_id,
            token,
        })
    }

    /// Where this device's registration stands.
    pub async fn registration_state(
        &self,
        registration_id: &str,
    ) -> Result<RegistrationState, SyncError> {
        self.get_json(&ep::RegistrationStatus {
            id: registration_id.to_owned(),
        })
        .await
    }

    /// "Anything for me?": one small request asking whether the server holds news
    /// for the signed-in person since this device's last check (a dispatch, an
    /// urge, a return, a case to verify or close). Changes nothing on the device.
    pub async fn check_news(&self, store: &FieldStore) -> Result<NewsCheck, SyncError> {
        let after = store.news_after()?;
        self.get_json(&ep::News { after }).await
    }

    /// The signed-in grid worker's own scorecard and points for `period` (a code
    /// such as `2026-11`, `2026-W48`, `2026-Q4`), from the server; kept on the
    /// device so [`FieldStore::cached_scorecard`] shows it offline.
    pub async fn my_scorecard(
        &self,
        store: &FieldStore,
        period: &crate::assessment::Period,
    ) -> Result<crate::protocol::MyScorecard, SyncError> {
        let card: crate::protocol::MyScorecard = self
            .get_json(&ep::Scorecard {
                period: period.to_string(),
            })
            .await?;
        store.cache_scorecard(&card)?;
        Ok(card)
    }

    /// Sends the worker's latest position on a running patrol (one tiny request;
    /// see [`crate::protocol::PositionUpdate`]). `false` when there is nothing to
    /// send: no patrol runs, or no fix in the last two minutes. Never queued: with
    /// no signal it fails as offline and nothing is kept.
    pub async fn send_position(&self, store: &FieldStore) -> Result<bool, SyncError> {
        let now_ms = crate::time::now() * 1000;
        let Some(position) = store.live_position(now_ms, LIVE_FIX_MAX_AGE_MS)? else {
            return Ok(false);
        };
        self.post_bytes(&ep::Position.path(), protocol::CBOR, position.encode())
            .await?;
        Ok(true)
    }

    /// The background job's round: checks for news and, when there is some (or
    /// changes wait to be sent, or the last good sync is older than
    /// [`FULL_SYNC_AFTER_S`]: news is a hint, and a lost one must not leave a
    /// phone behind for long), runs a full sync; then remembers the check so the
    /// same news does not wake the phone twice. `None` when nothing was due.
    pub async fn sync_if_news(
        &self,
        store: &FieldStore,
        progress: impl FnMut(&SyncProgress),
    ) -> Result<Option<SyncProgress>, SyncError> {
        let check = self.check_news(store).await?;
        let status = store.sync_status()?;
        let waiting =
            status.pending_records + status.pending_track_chunks + status.pending_photos > 0;
        if check.count == 0 && !waiting {
            store.set_news_after(check.latest)?;
            return Ok(None);
        }
        let done = self.sync(store, progress).await?;
        store.set_news_after(check.latest)?;
        Ok(Some(done))
    }

    /// Pushes every pending change and pulls everything new, reporting progress
    /// after each round; refreshes reference data when the server has newer.
    pub async fn sync(
        &self,
        store: &FieldStore,
        mut progress: impl FnMut(&SyncProgress),
    ) -> Result<SyncProgress, SyncError> {
        let result = self.sync_rounds(store, &mut progress).await;
        let error = result.as_ref().err().map(ToString::to_string);
        store.record_sync_attempt(error.as_deref())?;
        result
    }

    async fn sync_rounds(
        &self,
        store: &FieldStore,
        progress: &mut impl FnMut(&SyncProgress),
    ) -> Result<SyncProgress, SyncError> {
        let mut done = SyncProgress::default();
        let mut sent_this_sync: HashSet<String> = HashSet::new();
        // The next page, asked for while this one is stored (see below).
        let mut prefetched: Option<Prefetch> = None;
        let reference = loop {
            let batch = store.next_push_batch(&sent_this_sync)?;
            let cursor = store.sync_cursor()?;
            let (answer, sent, received) = match prefetched.take() {
                Some(next) if batch.docs.is_empty() && Some(&next.cursor) == cursor.as_ref() => {
                    next.answer().await?
                }
                _ => {
                    let request = SyncRequest {
                        protocol: PROTOCOL_VERSION,
                        app_version: self.app_version.clone(),
                        cursor,
                        push: batch.docs,
                        max_pull: self.max_pull,
                    };
                    self.exchange(protocol::encode(&request)).await?
                }
            };
            done.bytes_sent += sent;
            done.bytes_received += received;
            // A page of a longer pull that pushed nothing: ask for the next page
            // now, so the server answers and the bytes arrive while this page is
            // stored (a first sync is a dozen such pages). The request only
            // reads, so an answer left unused costs nothing but the bytes.
            if answer.more && batch.heads.is_empty() && !answer.resync {
                prefetched = Some(self.prefetch(answer.cursor.clone()));
            }
            for result in &answer.pushed {
                sent_this_sync.insert(result.id.clone());
            }
            let counts = store.finish_round(&answer, &batch.heads)?;
            if answer.resync {
                sent_this_sync.clear();
            }
            for id in &counts.resend {
                sent_this_sync.remove(id);
            }
            done.pushed += counts.pushed;
            done.rejected += counts.rejected;
            done.pulled += counts.pulled;
            done.rounds += 1;
            done.more = answer.more;
            done.pending = store.sync_status()?.pending_records;
            progress(&done);
            let more_to_push = !store.next_push_batch(&sent_this_sync)?.docs.is_empty();
            if !answer.more && !more_to_push {
                break answer.reference;
            }
        };
        self.refresh_reference(store, &reference).await?;
        let knowledge = reference
            .iter()
            .find(|v| v.what == crate::knowledge::KNOWLEDGE)
            .map(|v| v.version);
        self.sync_knowledge(store, knowledge, &mut done, progress)
            .await?;
        self.upload_tracks(store, &mut done, progress).await?;
        self.upload_photos(store, &mut done, progress).await?;
        Ok(done)
    }

    /// Sends one sync request body; returns the answer with the bytes sent and
    /// received.
    async fn exchange(&self, body: Vec<u8>) -> Result<(SyncResponse, u64, u64), SyncError> {
        let sent = body.len() as u64;
        let url = format!("{}{}", self.base, ep::Sync.path());
        let response = self
            .send(|| {
                self.http
                    .post(&url)
                    .bearer_auth(&self.token)
                    .header(reqwest::header::CONTENT_TYPE, CBOR)
                    .body(body.clone())
            })
            .await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SyncError::Network(describe(&e)))?;
        let answer: SyncResponse =
            protocol::decode(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok((answer, sent, bytes.len() as u64))
    }

    /// Asks for the page after `cursor` (pushing nothing) on a task of its own.
    fn prefetch(&self, cursor: crate::protocol::Cursor) -> Prefetch {
        let request = SyncRequest {
            protocol: PROTOCOL_VERSION,
            app_version: self.app_version.clone(),
            cursor: Some(cursor.clone()),
            push: Vec::new(),
            max_pull: self.max_pull,
        };
        let me = self.clone();
        let body = protocol::encode(&request);
        Prefetch {
            cursor,
            task: tokio::spawn(async move { me.exchange(body).await }),
        }
    }

    /// Uploads photos the server lacks, in parts, resuming from what the server
    /// confirms; the server checks each photo's hash when the last part arrives.
    async fn upload_photos(
        &self,
        store: &FieldStore,
        done: &mut SyncProgress,
        progress: &mut impl FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        const PART: u64 = 256 * 1024;
        let pending = store.pending_photo_uploads(10_000)?;
        if self.metered && !self.photos_on_metered {
            done.photos_deferred = pending.len() as u64;
            return Ok(());
        }
        'photos: for (hash, total, _) in pending {
            let Some(bytes) = store.photo_bytes(&hash, false)? else {
                continue;
            };
            if blake3::hash(&bytes).to_hex().as_str() != hash || bytes.len() as u64 != total {
                return Err(crate::Error::Corrupt {
                    path: store.photo_file(&hash, false)?.unwrap_or_default(),
                    detail: "a stored photo no longer matches its hash".into(),
                }
                .into());
            }
            let status_url = format!(
                "{}{}",
                self.base,
                ep::BlobStatus { hash: hash.clone() }.path()
            );
            let response = self
                .send(|| self.http.get(&status_url).bearer_auth(&self.token))
                .await?;
            let mut state: ep::UploadState = response
                .json()
                .await
                .map_err(|e| SyncError::Protocol(e.to_string()))?;
            while !state.complete {
                let from = state.confirmed.min(total);
                let to = (from + PART).min(total);
                let part_path = ep::BlobPart {
                    hash: hash.clone(),
                    offset: from,
                    total,
                }
                .path();
                let url = format!("{}{part_path}", self.base);
                let part = bytes[from as usize..to as usize].to_vec();
                let sent = self
                    .send(|| {
                        self.http
                            .put(&url)
                            .bearer_auth(&self.token)
                            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                            .body(part.clone())
                    })
                    .await;
                let response = match sent {
                    // Another device is uploading the same photo (a picture
                    // forwarded to two workers): leave it pending, go on with the
                    // rest; a later sync finds it stored or takes it over.
                    Err(SyncError::Refused {
                        code: ErrorCode::Busy,
                        ..
                    }) => {
                        done.photos_deferred += 1;
                        continue 'photos;
                    }
                    other => other?,
                };
                state = response
                    .json()
                    .await
                    .map_err(|e| SyncError::Protocol(e.to_string()))?;
                done.bytes_sent += to - from;
                store.record_photo_upload(&hash, state.confirmed, state.complete)?;
                progress(done);
            }
            store.record_photo_upload(&hash, total, true)?;
            done.photos += 1;
            progress(done);
        }
        Ok(())
    }

    /// Uploads sealed track chunks, each idempotent by patrol and chunk number (the
    /// server answers a repeat with success). Runs after the document rounds, so
    /// each patrol's log, which the server needs, is there first.
    async fn upload_tracks(
        &self,
        store: &FieldStore,
        done: &mut SyncProgress,
        progress: &mut impl FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        loop {
            let pending = store.pending_track_chunks(64)?;
            if pending.is_empty() {
                return Ok(());
            }
            for chunk in pending {
                // The phone's clock findings so far go with each chunk: the server's
                // review shows them to the supervisor.
                let path = ep::TrackChunk {
                    patrol: chunk.patrol.clone(),
                    chunk: chunk.chunk,
                    clock: ep::TrackClock {
                        clock_backwards: chunk.clock_backwards,
                        clock_skew_ms: chunk.max_clock_skew_ms,
                    },
                }
                .path();
                let url = format!("{}{path}", self.base);
                self.send(|| {
                    self.http
                        .put(&url)
                        .bearer_auth(&self.token)
                        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                        .body(chunk.bytes.clone())
                })
                .await?;
                store.mark_track_chunk_uploaded(&chunk.patrol, chunk.chunk)?;
                done.track_chunks += 1;
                done.bytes_sent += chunk.bytes.len() as u64;
            }
            progress(done);
        }
    }

    /// Brings the knowledge base to `server_version` (the newest the sync
    /// reported), or finishes the download in progress first: page by page, each
    /// kept aside by the store and applied all at once with the last, so the
    /// phone keeps its old set until the new one is whole. A cut resumes from
    /// the last page kept. A download the server can no longer serve (its
    /// version is gone) is dropped and starts over at the next sync.
    pub async fn sync_knowledge(
        &self,
        store: &FieldStore,
        server_version: Option<u64>,
        done: &mut SyncProgress,
        progress: &mut impl FnMut(&SyncProgress),
    ) -> Result<(), SyncError> {
        loop {
            let (since, to, after) = match store.knowledge_download()? {
                Some(d) => (d.since, Some(d.to), d.after),
                None => {
                    let have = store.knowledge_version()?.unwrap_or(0);
                    match server_version {
                        Some(v) if v > have => (have, None, None),
                        _ => return Ok(()),
                    }
                }
            };
            let path = ep::KnowledgeChanges {
                since,
                to,
                after: after.clone(),
                limit: Some(self.knowledge_page),
            }
            .path();
            let url = format!("{}{path}", self.base);
            let response = match self
                .send(|| self.http.get(&url).bearer_auth(&self.token))
                .await
            {
                Err(SyncError::Refused {
                    code: protocol::ErrorCode::BadRequest,
                    ..
                }) if to.is_some() => {
                    store.discard_knowledge_download()?;
                    return Ok(());
                }
                other => other?,
            };
            let bytes = response
                .bytes()
                .await
                .map_err(|e| SyncError::Network(describe(&e)))?;
            done.bytes_received += bytes.len() as u64;
            let page: protocol::KnowledgePage =
                protocol::decode(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))?;
            if page.since != since || to.is_some_and(|t| t != page.to) {
                return Err(SyncError::Protocol(
                    "the knowledge page is not the one asked for".into(),
                ));
            }
            let complete = store.take_knowledge_page(&page)?;
            done.knowledge_items += page.items.len() as u64;
            progress(done);
            if complete {
                return Ok(());
            }
        }
    }

    /// Imports every kind of reference data the server has a newer version of
    /// than this phone (one mechanism for all kinds; see [`ReferenceKind`]).
    async fn refresh_reference(
        &self,
        store: &FieldStore,
        versions: &[protocol::ReferenceVersion],
    ) -> Result<(), SyncError> {
        for v in versions {
            let newer = |have: Option<u64>| have.is_none_or(|have| have < v.version);
            match ReferenceKind::parse(&v.what) {
                Some(ReferenceKind::OrgTree) if newer(store.org_tree_version()?) => {
                    store.import_org_tree(&self.fetch_reference::<OrgTree>().await?)?;
                }
                Some(ReferenceKind::Catalogue) if newer(store.catalogue()?.map(|c| c.version)) => {
                    store.import_catalogue(
                        &self.fetch_reference::<crate::incident::Catalogue>().await?,
                    )?;
                }
                Some(ReferenceKind::FormPack) if newer(store.form_pack_version()?) => {
                    store.import_form_pack(
                        &self.fetch_reference::<crate::forms::FormPack>().await?,
                    )?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `GET /v1/reference/{kind}`: the server's current version of one kind.
    async fn fetch_reference<R: ReferenceData>(&self) -> Result<R, SyncError> {
        self.get_json(&ep::Reference {
            what: R::KIND.to_string(),
        })
        .await
    }

    /// `GET` an endpoint's JSON answer with this device's token.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &impl Endpoint,
    ) -> Result<T, SyncError> {
        let url = format!("{}{}", self.base, endpoint.path());
        let response = self
            .send(|| self.http.get(&url).bearer_auth(&self.token))
            .await?;
        response
            .json()
            .await
            .map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// `POST` a small body once, without retrying: what it carries is stale by the
    /// time a retry would go (a live position).
    async fn post_bytes(&self, path: &str, kind: &str, body: Vec<u8>) -> Result<(), SyncError> {
        let url = format!("{}{path}", self.base);
        match self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, kind)
            .body(body)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(error_from(r).await),
            Err(e) => Err(SyncError::Network(describe(&e))),
        }
    }

    /// Sends a request, retrying network failures and 5xx/429 answers with backoff;
    /// turns error answers into [`SyncError`]s.
    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SyncError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let retryable = match build().send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    format!("server answered {}", r.status())
                }
                Ok(r) => return Err(error_from(r).await),
                Err(e) => describe(&e),
            };
            if attempt >= self.retry.attempts {
                return Err(SyncError::Network(format!(
                    "{retryable} (after {attempt} attempts)"
                )));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            let exp = self
                .retry
                .base_delay
                .saturating_mul(1 << (attempt - 1).min(16));
            let delay = exp.min(self.retry.max_delay);
            let jitter = rand::rng().random_range(0.5..1.0);
            tokio::time::sleep(delay.mul_f64(jitter)).await;
        }
    }
}

/// A pull request sent ahead; dropped unused (an error while storing the page
/// before it, or a push that came up), it is cancelled.
struct Prefetch {
    /// The cursor it pulls from.
    cursor: crate::protocol::Cursor,
    task: tokio::task::JoinHandle<Result<(SyncResponse, u64, u64), SyncError>>,
}

impl Prefetch {
    async fn answer(mut self) -> Result<(SyncResponse, u64, u64), SyncError> {
        (&mut self.task)
            .await
            .map_err(|e| SyncError::Network(format!("the page request stopped: {e}")))?
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A network error with its causes, which reqwest keeps out of its own message
/// ("error sending request for url (…): client error (Connect): tcp connect
/// error: Connection refused"), so a failed sync says what went wrong.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

async fn error_from(response: reqwest::Response) -> SyncError {
    let status = response.status();
    let body: Option<ErrorBody> = response.json().await.ok();
    let message = body
        .as_ref()
        .map_or_else(|| status.to_string(), |b| b.message.clone());
    match body.map(|b| b.code) {
        Some(ErrorCode::DeviceRevoked) => SyncError::DeviceRevoked,
        Some(ErrorCode::UpgradeRequired) => SyncError::UpgradeRequired(message),
        Some(ErrorCode::Unauthenticated | ErrorCode::NotApproved) => {
            SyncError::Unauthenticated(message)
        }
        Some(code) => SyncError::Refused { code, message },
        None if status.as_u16() == 401 => SyncError::Unauthenticated(message),
        None => SyncError::Refused {
            code: ErrorCode::BadRequest,
            message,
        },
    }
}
