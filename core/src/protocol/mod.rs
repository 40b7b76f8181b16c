//! The sync protocol (`/v1`): the messages phones and the server exchange, their
//! encoding, and the checks both sides apply. No I/O: tests, the client and the
//! server all drive these types directly.
//!
//! One sync round is one `POST /v1/sync` carrying a [`SyncRequest`] (the phone's
//! protocol and app versions, its cursor, and the document changes it has not pushed
//! yet, batched across many documents) and answered by a [`SyncResponse`] (results of
//! the pushes, the changes the phone lacks, a new cursor). The phone repeats rounds
//! while it has more to push or the server says `more`. A round with nothing new
//! either way is one request and a response well under 1 KB.
//!
//! The cursor is opaque to the phone. The server encodes in it where the phone's
//! pulls stand ([`ServerCursor`]): a first sync pages through compacted documents
//! (the phone's own grids first), later syncs follow the server's change sequence.
//! The phone saves the cursor only after it has stored a response, so a sync cut at
//! any point resumes where it stood and re-receiving is harmless (merging is
//! idempotent).
//!
//! Messages are CBOR (`application/cbor`): change bytes travel as byte strings.
//! Errors are JSON [`ErrorBody`]s with an HTTP 4xx/5xx status.
//!
//! Data that does not travel as documents has its own endpoints, added by their
//! issues: GPS track chunks (`PUT /v1/tracks/{patrol}/{chunk}`, idempotent by patrol
//! and chunk number) and photos (`/v1/blobs/{blake3}`, chunked, content-addressed,
//! resumable from the last byte the server confirmed).
//!
//! A request as the phone encodes it and the server decodes and checks it:
//!
//! ```
//! use fieldgrid_core::records::RecordKind;
//! use fieldgrid_core::protocol::{self, DocPayload, PROTOCOL_VERSION, SyncRequest};
//!
//! let request = SyncRequest {
//!     protocol: PROTOCOL_VERSION,
//!     app_version: "1.4.2".into(),
//!     cursor: None,
//!     push: vec![DocPayload {
//!         id: "0193a1b2-0000-7000-8000-000000000001".into(),
//!         kind: RecordKind::Household,
//!         data: vec![0x85, 0x6f, 0x4a, 0x83],
//!     }],
//!     max_pull: 500,
//! };
//! let bytes = protocol::encode(&request);
//! assert_eq!(SyncRequest::decode(&bytes)?, request);
//!
//! // The server refuses what breaks the protocol's limits, saying what was wrong.
//! let bad = SyncRequest { app_version: String::new(), ..request };
//! let err = SyncRequest::decode(&protocol::encode(&bad)).unwrap_err();
//! assert!(err.to_string().contains("app_version"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::records::RecordKind;

pub mod endpoints;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The media type of sync messages.
pub const CBOR: &str = "application/cbor";
/// The largest sync request body the server accepts; the client batches below it.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;
/// Push batches are cut at this many bytes of change data.
pub const PUSH_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// The most documents one request may push.
pub const MAX_PUSH_DOCS: usize = 2_000;
/// The most documents one response carries, whatever the phone asks.
pub const MAX_PULL_DOCS: u32 = 1_000;
/// The longest app version string.
const MAX_APP_VERSION: usize = 32;
/// The longest cursor.
const MAX_CURSOR: usize = 256;

/// A document's changes (or, in a first sync, the whole compacted document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPayload {
    /// The record id.
    pub id: String,
    /// Its kind.
    pub kind: RecordKind,
    /// Automerge bytes: changes or a saved document, loadable as one.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// An opaque position in the server's stream of changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(#[serde(with = "serde_bytes")] pub Vec<u8>);

/// One sync round, phone to server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// [`PROTOCOL_VERSION`] of the phone.
    pub protocol: u32,
    /// The app's version, e.g. `1.4.2`; the server may require a minimum.
    pub app_version: String,
    /// Where the phone's pulls stand; `None` on a new device.
    #[serde(default)]
    pub cursor: Option<Cursor>,
    /// Changes the server does not have yet.
    #[serde(default)]
    pub push: Vec<DocPayload>,
    /// How many documents the phone takes in one response (capped by the server).
    #[serde(default)]
    pub max_pull: u32,
}

/// Why the server refused one pushed document (the rest of the request still counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The record's grid is outside the pusher's grids.
    OutOfScope,
    /// The bytes are not valid changes.
    InvalidChanges,
    /// The changes build on history the server does not have (say, restored from
    /// an older backup): the phone sends the whole document next round.
    MissingHistory,
    /// The record does not fit its schema after the merge.
    InvalidDocument,
    /// The record exists as another kind.
    WrongKind,
    /// The id is not a valid record id.
    InvalidId,
    /// A change was made on another device or by another person than the pushing
    /// device's user, or the record names someone else as having acted.
    NotAuthor,
    /// The record names a record that does not exist in the pusher's area.
    UnknownReference,
}

/// What became of one pushed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    /// The record id.
    pub id: String,
    /// `None` when stored; otherwise why not.
    #[serde(default)]
    pub rejected: Option<RejectCode>,
    /// A reason a person can read (never quotes field values).
    #[serde(default)]
    pub reason: String,
}

/// A kind of reference data and its newest version on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceVersion {
    /// `org_tree` now; forms and the category catalogue come with their issues.
    pub what: String,
    /// Its version; fetch `GET /v1/reference/{what}` when newer than the phone's.
    pub version: u64,
}

/// One sync round, server to phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// [`PROTOCOL_VERSION`] of the server.
    pub protocol: u32,
    /// What happened to each pushed document, in request order.
    #[serde(default)]
    pub pushed: Vec<PushResult>,
    /// Documents or changes the phone lacks.
    #[serde(default)]
    pub docs: Vec<DocPayload>,
    /// The cursor to send next time, once `docs` are stored.
    pub cursor: Cursor,
    /// Whether more is waiting: ask again right away.
    #[serde(default)]
    pub more: bool,
    /// The newest reference data versions.
    #[serde(default)]
    pub reference: Vec<ReferenceVersion>,
    /// The server's data is older than the phone's cursor (restored from a backup):
    /// the phone offers every record again, and the server keeps what it lacks.
    #[serde(default)]
    pub resync: bool,
}

/// Machine-readable error classes of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed; the message says how.
    BadRequest,
    /// No valid token.
    Unauthenticated,
    /// The device was revoked: the app must wipe its local data.
    DeviceRevoked,
    /// The registration is not approved (yet).
    NotApproved,
    /// The caller may not do this.
    Forbidden,
    /// The app or protocol is too old: please update.
    UpgradeRequired,
    /// The body is larger than the server takes.
    PayloadTooLarge,
    /// No such thing.
    NotFound,
    /// The server failed; try again later.
    Internal,
    /// Too many attempts from this client or for this name: wait and try again.
    TooManyRequests,
    /// Another device holds this for now (it is uploading the same photo): leave
    /// it and try again on a later sync.
    Busy,
}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The class of error.
    pub code: ErrorCode,
    /// What was wrong, for a person (never contains personal data).
    pub message: String,
    /// Set with [`ErrorCode::DeviceRevoked`]: delete every record on the device.
    #[serde(default)]
    pub wipe: bool,
}

/// A message that could not be decoded or breaks the protocol's limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

/// Encodes a message as CBOR.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail for these plain data types.
    ciborium::into_writer(message, &mut out).unwrap_or_default();
    out
}

/// Decodes a CBOR message, refusing trailing bytes.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ProtocolError> {
    let mut reader = bytes;
    let value: T =
        ciborium::de::from_reader_with_recursion_limit(&mut reader, 32).map_err(|e| {
            ProtocolError(format!(
                "not a valid sync message: {}",
                crate::error::mask_values(&e.to_string())
            ))
        })?;
    if !reader.is_empty() {
        return Err(ProtocolError(format!(
            "{} unexpected bytes after the message",
            reader.len()
        )));
    }
    Ok(value)
}

impl SyncRequest {
    /// Decodes and checks a request as the server receives it.
    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let request: SyncRequest = decode(bytes)?;
        request.check()?;
        Ok(request)
    }

    /// The protocol's limits on a request.
    pub fn check(&self) -> Result<(), ProtocolError> {
        if self.app_version.is_empty() || self.app_version.len() > MAX_APP_VERSION {
            return Err(ProtocolError(
                "app_version must be 1 to 32 characters".into(),
            ));
        }
        if self.cursor.as_ref().is_some_and(|c| c.0.len() > MAX_CURSOR) {
            return Err(ProtocolError("the cursor is too long".into()));
        }
        if self.push.len() > MAX_PUSH_DOCS {
            return Err(ProtocolError(format!(
                "at most {MAX_PUSH_DOCS} documents per request"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for doc in &self.push {
            if !seen.insert(doc.id.as_str()) {
                return Err(ProtocolError(format!(
                    "document {} is pushed twice",
                    doc.id
                )));
            }
            if doc.data.is_empty() {
                return Err(ProtocolError(format!("document {} has no data", doc.id)));
            }
        }
        Ok(())
    }
}

/// `a` is older than `b`, comparing dotted numeric versions (`1.10.0` > `1.9.3`).
pub fn version_older(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.split(['.', '-', '+'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

/// Where a phone's pulls stand, as the server encodes it in the [`Cursor`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerCursor {
    /// A first sync, paging through compacted documents.
    Initial {
        /// The server's change sequence when the first sync began: later changes
        /// are sent incrementally afterwards.
        since: i64,
        /// 0 while sending the phone's own grids, 1 for the rest of its scope.
        pass: u8,
        /// The last document id sent in this pass.
        after: String,
    },
    /// Following the change sequence.
    Changes {
        /// The last sequence number the phone has.
        seq: i64,
    },
}

/// What the server encodes in a cursor: the position, and a fingerprint of the
/// scope it was issued for (a phone whose scope changed must page through its new
/// grids, which its position in the change sequence has passed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Issued {
    pos: ServerCursor,
    #[serde(default)]
    scope: u64,
}

impl ServerCursor {
    /// Encodes as an opaque cursor (no scope fingerprint).
    pub fn to_cursor(&self) -> Cursor {
        self.to_cursor_for(0)
    }

    /// Encodes as an opaque cursor issued for a scope with this fingerprint.
    pub fn to_cursor_for(&self, scope: u64) -> Cursor {
        Cursor(encode(&Issued {
            pos: self.clone(),
            scope,
        }))
    }

    /// Decodes an opaque cursor (`None` for a new device).
    pub fn from_cursor(cursor: Option<&Cursor>) -> Result<Option<Self>, ProtocolError> {
        Ok(Self::from_cursor_with_scope(cursor)?.map(|(pos, _)| pos))
    }

    /// Decodes an opaque cursor with the scope fingerprint it was issued for.
    pub fn from_cursor_with_scope(
        cursor: Option<&Cursor>,
    ) -> Result<Option<(Self, u64)>, ProtocolError> {
        cursor
            .map(|c| {
                decode::<Issued>(&c.0)
                    .map(|i| (i.pos, i.scope))
                    .map_err(|_| ProtocolError("the cursor is not one this server issued".into()))
            })
            .transpose()
    }
}

/// A fingerprint of a set of grid codes, for [`ServerCursor::to_cursor_for`].
pub fn scope_fingerprint<'a>(grids: impl IntoIterator<Item = &'a String>) -> u64 {
    let mut sorted: Vec<&String> = grids.into_iter().collect();
    sorted.sort();
    let mut h = blake3::Hasher::new();
    for g in sorted {
        h.update(g.as_bytes());
        h.update(b",");
    }
    u64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

/// Decodes `data` every way the network or a user can deliver it (sync messages,
/// cursors, Automerge bytes, track chunks, GPX), as the server and the phone would,
/// and checks that nothing panics: the fuzz target's entry point.
/// Returns how many layers decoded (for tests that want to see progress).
pub fn decode_untrusted(data: &[u8]) -> usize {
    let mut layers = 0;
    if let Ok(request) = SyncRequest::decode(data) {
        layers += 1;
        let _ = ServerCursor::from_cursor(request.cursor.as_ref());
        for doc in &request.push {
            if crate::merge_document(doc.kind, &doc.id, None, &doc.data).is_ok() {
                layers += 1;
            }
        }
    }
    if let Ok(response) = decode::<SyncResponse>(data) {
        layers += 1;
        let _ = ServerCursor::from_cursor(Some(&response.cursor));
    }
    let _ = ServerCursor::from_cursor(Some(&Cursor(data.to_vec())));
    let _ = serde_json::from_slice::<ErrorBody>(data);
    let _ = crate::merge_document(RecordKind::Household, "fuzz", None, data);
    if crate::patrol::codec::check_chunk(data).is_ok() {
        layers += 1;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::patrol::gpx::parse_gpx(text);
    }
    layers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(push: Vec<DocPayload>) -> SyncRequest {
        SyncRequest {
            protocol: PROTOCOL_VERSION,
            app_version: "1.0.0".into(),
            cursor: Some(ServerCursor::Changes { seq: 123_456 }.to_cursor()),
            push,
            max_pull: 500,
        }
    }

    #[test]
    fn a_sync_with_nothing_to_say_is_tiny() {
        let req = encode(&request(vec![]));
        let resp = encode(&SyncResponse {
            protocol: 1,
            pushed: vec![],
            docs: vec![],
            cursor: ServerCursor::Changes { seq: 123_456 }.to_cursor(),
            more: false,
            reference: vec![ReferenceVersion {
                what: "org_tree".into(),
                version: 3,
            }],
            resync: false,
        });
        assert!(req.len() < 100, "{}", req.len());
        assert!(resp.len() < 150, "{}", resp.len());
        assert_eq!(SyncRequest::decode(&req).unwrap(), request(vec![]));
    }

    #[test]
    fn bad_messages_are_refused() {
        let doc = DocPayload {
            id: "a".into(),
            kind: RecordKind::Household,
            data: vec![1],
        };
        let twice = encode(&request(vec![doc.clone(), doc]));
        assert!(SyncRequest::decode(&twice).unwrap_err().0.contains("twice"));
        let good = encode(&request(vec![]));
        assert!(SyncRequest::decode(&good[..good.len() - 3]).is_err());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(SyncRequest::decode(&trailing).is_err());
        assert!(SyncRequest::decode(b"").is_err());
        assert!(ServerCursor::from_cursor(Some(&Cursor(vec![1, 2, 3]))).is_err());
    }

    /// A valid request carrying a real household document.
    fn valid_message() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::FieldStore::open(dir.path().join("f.sqlite")).unwrap();
        store.sign_in("u");
        let mut h = crate::records::Household::new("320722104201001", "安峰村1号", "刘凤");
        h.fields.insert("basic.house_type".into(), "砖混".into());
        let id = store.create(&h).unwrap();
        let data = store.changes_since(&id, &[]).unwrap();
        encode(&request(vec![DocPayload {
            id,
            kind: RecordKind::Household,
            data,
        }]))
    }

    #[test]
    fn decoders_survive_random_mutated_and_recorded_input() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let valid = valid_message();
        // Request, its document (and, as unknown fields are ignored, also as a response).
        assert!(
            decode_untrusted(&valid) >= 2,
            "the valid message decodes fully"
        );
        for _ in 0..3_000 {
            let len = rng.random_range(0..300);
            let noise: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            decode_untrusted(&noise);
        }
        for _ in 0..3_000 {
            let mut m = valid.clone();
            match rng.random_range(0..4) {
                0 => m.truncate(rng.random_range(0..m.len())),
                1 => {
                    let i = rng.random_range(0..m.len());
                    m[i] ^= 1 << rng.random_range(0..8);
                }
                2 => {
                    let i = rng.random_range(0..m.len());
                    m.insert(i, rng.random());
                }
                _ => {
                    let i = rng.random_range(0..m.len());
                    m[i] = rng.random();
                }
            }
            decode_untrusted(&m);
        }
        // Inputs the fuzzer once found (and the seed corpus) stay fixed.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
        for entry in std::fs::read_dir(dir).unwrap() {
            decode_untrusted(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_older("1.9.3", "1.10.0"));
        assert!(!version_older("1.10.0", "1.9.3"));
        assert!(!version_older("2.0", "2.0.0"));
        assert!(version_older("0.9", "1"));
    }
}

/// The answer to a phone's "anything for me?" check (`GET /v1/news?after=N`):
/// a few dozen bytes of JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsCheck {
    /// The newest news number on the server: the phone's next `after`.
    pub latest: i64,
    /// How many items after the phone's `after` are for its user (a dispatch, an
    /// urge, a return, a case to verify or close): a full sync is due when above 0.
    pub count: u64,
}

/// `GET /v1/scorecard?period=`: the signed-in grid worker's own scorecard and
/// points over a period, as the server computes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyScorecard {
    /// The card, every item explained.
    pub scorecard: crate::assessment::Scorecard,
    /// The points ledger (以奖代补).
    pub points: crate::assessment::PointsLedger,
}

/// `POST /v1/position`: a patrolling worker's latest position, sent about once a
/// minute while a patrol runs and the phone has signal, as one CBOR array
/// `[unix seconds, lat × 1e6, lon × 1e6, accuracy m, grid]` (a few dozen bytes).
/// Never queued: a phone with no signal sends nothing, and the track chunks stay
/// the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionUpdate {
    /// When the fix was taken, unix seconds.
    pub at: i64,
    /// Latitude × 1e6 (WGS-84).
    pub lat_e6: i32,
    /// Longitude × 1e6.
    pub lon_e6: i32,
    /// Accuracy, metres.
    pub accuracy_m: u16,
    /// The grid being patrolled.
    pub grid: String,
}

/// The largest position body the server reads.
pub const MAX_POSITION_BYTES: usize = 128;

impl PositionUpdate {
    /// The CBOR array.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40);
        ciborium::into_writer(
            &(
                self.at,
                self.lat_e6,
                self.lon_e6,
                self.accuracy_m,
                &self.grid,
            ),
            &mut out,
        )
        .expect("writing CBOR to a Vec cannot fail");
        out
    }

    /// Reads the CBOR array; every way it can be wrong is named.
    pub fn decode(bytes: &[u8]) -> std::result::Result<PositionUpdate, String> {
        if bytes.len() > MAX_POSITION_BYTES {
            return Err(format!("a position is at most {MAX_POSITION_BYTES} bytes"));
        }
        let (at, lat_e6, lon_e6, accuracy_m, grid): (i64, i32, i32, u16, String) =
            ciborium::from_reader(bytes).map_err(|_| {
                "a position is a CBOR array [time, lat×1e6, lon×1e6, accuracy, grid]".to_owned()
            })?;
        if !(-90_000_000..=90_000_000).contains(&lat_e6)
            || !(-180_000_000..=180_000_000).contains(&lon_e6)
        {
            return Err("the latitude or longitude is out of range".into());
        }
        if grid.is_empty()
            || grid.len() > 40
            || !grid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("the grid code is not a grid code".into());
        }
        Ok(PositionUpdate {
            at,
            lat_e6,
            lon_e6,
            accuracy_m,
            grid,
        })
    }
}

/// The most revisions one page of knowledge-base changes carries.
pub const MAX_KNOWLEDGE_PAGE: u32 = 1_000;

/// One page of the knowledge base's changes between two versions: `GET
/// /v1/knowledge?since=N&to=T&after=K&limit=L` (CBOR). The answer holds, for
/// every item changed after `since` up to `to`, its state at `to` (an entry or
/// task added, changed or retired), in item order from after `after`. `to` is
/// fixed by the first page (the server's newest version then), so a download
/// that takes several pages, or resumes after a cut, sees one consistent set
/// even while newer versions are published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgePage {
    /// The version the phone holds.
    pub since: u64,
    /// The version the download brings the phone to.
    pub to: u64,
    /// Items changed in `(since, to]`, as they stand at `to`.
    pub items: Vec<crate::knowledge::Revision>,
    /// Where the next page starts (`kind:id` of the last item); `None` on the
    /// last page.
    pub next: Option<String>,
    /// How many items the whole download brings (for progress).
    pub total: u64,
}

impl KnowledgePage {
    /// The page cursor of an item: `kind:id`.
    pub fn cursor(kind: crate::knowledge::ItemKind, id: &str) -> String {
        format!("{}:{id}", kind.as_str())
    }

    /// The kind and id of a page cursor.
    pub fn parse_cursor(cursor: &str) -> Option<(crate::knowledge::ItemKind, String)> {
        let (kind, id) = cursor.split_once(':')?;
        let kind = crate::knowledge::ItemKind::parse(kind)?;
        crate::knowledge::valid_id(id).then(|| (kind, id.to_owned()))
    }
}
