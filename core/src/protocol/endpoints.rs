//! One contract per phone endpoint: its method, its route as the server declares
//! it, the path and query string a client sends, and the bodies both sides read
//! and write. The server's handlers take their query parameters as these very
//! types and declare their routes with [`Endpoint::ROUTE`]; the [`SyncClient`]
//! builds each request with [`Endpoint::path`]. A path or a parameter name is
//! written once, here.
//!
//! ```
//! use fieldgrid_core::protocol::endpoints::{BlobPart, Endpoint, KnowledgeChanges};
//!
//! let part = BlobPart { hash: "ab12".into(), offset: 0, total: 4096 };
//! assert_eq!(BlobPart::ROUTE, "/v1/blobs/{hash}");
//! assert_eq!(part.path(), "/v1/blobs/ab12?offset=0&total=4096");
//!
//! // Values are percent-encoded; absent ones are left out.
//! let page = KnowledgeChanges { since: 3, to: Some(9), after: Some("entry:a b".into()), limit: Some(500) };
//! assert_eq!(page.path(), "/v1/knowledge?since=3&to=9&after=entry%3Aa+b&limit=500");
//! ```
//!
//! [`SyncClient`]: crate::sync::SyncClient

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

/// How a body travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// JSON (`application/json`).
    Json,
    /// CBOR (`application/cbor`).
    Cbor,
    /// Raw bytes (`application/octet-stream`).
    Bytes,
}

/// One endpoint of the phones' API.
pub trait Endpoint {
    /// Its method.
    const METHOD: Method;
    /// Its route as the server declares it: `{name}` marks a path parameter.
    const ROUTE: &'static str;
    /// What the request's body is.
    const REQUEST: Body;
    /// What the answer's body is.
    const RESPONSE: Body;
    /// What the answer's body holds (`()` for none).
    type Response;
    /// The request's path with its parameters filled in and its query string,
    /// every value percent-encoded.
    fn path(&self) -> String;
}

/// What a path segment may hold unencoded (RFC 3986 unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path parameter, percent-encoded.
fn segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// `route` with `?query` appended when `query` serialises to anything.
fn with_query(route: String, query: &impl Serialize) -> String {
    // Flat structs of numbers, strings and options cannot fail to serialise.
    let q = serde_urlencoded::to_string(query).unwrap_or_default();
    if q.is_empty() {
        route
    } else {
        format!("{route}?{q}")
    }
}

/// `POST /v1/sync`: one sync round, a CBOR [`SyncRequest`](super::SyncRequest)
/// answered by a CBOR [`SyncResponse`](super::SyncResponse).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sync;

impl Endpoint for Sync {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/sync";
    const REQUEST: Body = Body::Cbor;
    const RESPONSE: Body = Body::Cbor;
    type Response = super::SyncResponse;
    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
}

/// What a person registers with. Personal data: sent once, over TLS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// This device's id.
    pub device_id: String,
    /// Full name.
    pub name: String,
    /// ID-card number.
    pub id_number: String,
    /// Mobile number.
    pub phone: String,
    /// BLAKE3 (hex) of the secret token the device generated; the server never
    /// sees the token itself until the device uses it.
    pub token_hash: String,
}

/// `POST /v1/registrations`: a JSON [`RegisterRequest`], answered `201` with a
/// [`RegisterResponse`]. The only endpoint without a token.
#[derive(Debug, Clone, Copy, Default)]
pub struct Register;

impl Endpoint for Register {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/registrations";
    const REQUEST: Body = Body::Json;
    const RESPONSE: Body = Body::Json;
    type Response = RegisterResponse;
    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
}

/// The server's answer to a registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// Ask [`RegistrationStatus`] for the decision.
    pub registration_id: String,
}

/// `GET /v1/registrations/{id}`: where a registration stands.
#[derive(Debug, Clone)]
pub struct RegistrationStatus {
    /// The registration.
    pub id: String,
}

impl Endpoint for RegistrationStatus {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/registrations/{id}";
    const REQUEST: Body = Body::None;
    const RESPONSE: Body = Body::Json;
    type Response = RegistrationState;
    fn path(&self) -> String {
        format!("/v1/registrations/{}", segment(&self.id))
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RegistrationState {
    /// Waiting for an administrator.
    Pending,
    /// Approved: the device's token now works, for this person.
    Approved {
        /// The person's id in the org tree.
        staff_id: String,
    },
    /// Refused.
    Rejected {
        /// The administrator's reason.
        reason: String,
    },
}

/// `GET /v1/news?after=N`: "anything for me?", answered by a JSON
/// [`NewsCheck`](super::NewsCheck).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    /// The newest news number the phone has seen.
    #[serde(default)]
    pub after: i64,
}

impl Endpoint for News {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/news";
    const REQUEST: Body = Body::None;
    const RESPONSE: Body = Body::Json;
    type Response = super::NewsCheck;
    fn path(&self) -> String {
        with_query(Self::ROUTE.to_owned(), self)
    }
}

/// `GET /v1/scorecard?period=P`: the signed-in worker's own card, a JSON
/// [`MyScorecard`](super::MyScorecard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scorecard {
    /// A period code: `2026-11`, `2026-W48`, `2026-Q4`, `2026-11-30` (empty:
    /// this month).
    #[serde(default)]
    pub period: String,
}

impl Endpoint for Scorecard {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/scorecard";
    const REQUEST: Body = Body::None;
    const RESPONSE: Body = Body::Json;
    type Response = super::MyScorecard;
    fn path(&self) -> String {
        with_query(Self::ROUTE.to_owned(), self)
    }
}

/// `POST /v1/position`: a CBOR [`PositionUpdate`](super::PositionUpdate),
/// answered `204`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Position;

impl Endpoint for Position {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/position";
    const REQUEST: Body = Body::Cbor;
    const RESPONSE: Body = Body::None;
    type Response = ();
    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
}

/// `PUT /v1/tracks/{patrol}/{chunk}?clock_backwards=N&clock_skew_ms=M`: a sealed
/// track chunk (raw bytes), idempotent by patrol and chunk number: `201` when
/// stored, `200` when it was stored already.
#[derive(Debug, Clone)]
pub struct TrackChunk {
    /// The patrol log's id.
    pub patrol: String,
    /// The chunk's number within the patrol.
    pub chunk: u64,
    /// What the phone measured of its clock so far.
    pub clock: TrackClock,
}

/// The query of [`TrackChunk`]: what the phone measured of its clock so far,
/// shown to the supervisor with the track's review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackClock {
    /// How often the clock went backwards.
    #[serde(default)]
    pub clock_backwards: u64,
    /// The largest gap seen between the GPS time and the clock, ms.
    #[serde(default)]
    pub clock_skew_ms: i64,
}

impl Endpoint for TrackChunk {
    const METHOD: Method = Method::Put;
    const ROUTE: &'static str = "/v1/tracks/{patrol}/{chunk}";
    const REQUEST: Body = Body::Bytes;
    const RESPONSE: Body = Body::None;
    type Response = ();
    fn path(&self) -> String {
        with_query(
            format!("/v1/tracks/{}/{}", segment(&self.patrol), self.chunk),
            &self.clock,
        )
    }
}

/// How far the server holds an upload: the answer of [`BlobStatus`] and
/// [`BlobPart`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    /// Bytes the server durably holds for this device: send from here.
    pub confirmed: u64,
    /// The whole blob is stored and verified.
    pub complete: bool,
}

/// `GET /v1/blobs/{hash}/status`: how far the server holds a photo.
#[derive(Debug, Clone)]
pub struct BlobStatus {
    /// The photo's BLAKE3 hash (hex).
    pub hash: String,
}

impl Endpoint for BlobStatus {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/blobs/{hash}/status";
    const REQUEST: Body = Body::None;
    const RESPONSE: Body = Body::Json;
    type Response = UploadState;
    fn path(&self) -> String {
        format!("/v1/blobs/{}/status", segment(&self.hash))
    }
}

/// `PUT /v1/blobs/{hash}?offset=N&total=T`: bytes from `offset` of a photo of
/// `total` bytes, answered by the new [`UploadState`].
#[derive(Debug, Clone)]
pub struct BlobPart {
    /// The photo's BLAKE3 hash (hex).
    pub hash: String,
    /// Where these bytes start.
    pub offset: u64,
    /// The photo's whole size.
    pub total: u64,
}

/// The query of [`BlobPart`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRange {
    /// Where the bytes start.
    pub offset: u64,
    /// The whole size.
    pub total: u64,
}

impl Endpoint for BlobPart {
    const METHOD: Method = Method::Put;
    const ROUTE: &'static str = "/v1/blobs/{hash}";
    const REQUEST: Body = Body::Bytes;
    const RESPONSE: Body = Body::Json;
    type Response = UploadState;
    fn path(&self) -> String {
        with_query(
            format!("/v1/blobs/{}", segment(&self.hash)),
            &PartRange {
                offset: self.offset,
                total: self.total,
            },
        )
    }
}

/// `GET /v1/knowledge?since=N&to=T&after=K&limit=L`: one CBOR
/// [`KnowledgePage`](super::KnowledgePage) of the knowledge base's changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeChanges {
    /// The version the phone holds.
    #[serde(default)]
    pub since: u64,
    /// The version the download brings it to (fixed by the first page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
    /// The cursor of the last item received (`kind:id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The most items per page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl Endpoint for KnowledgeChanges {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/knowledge";
    const REQUEST: Body = Body::None;
    const RESPONSE: Body = Body::Cbor;
    type Response = super::KnowledgePage;
    fn path(&self) -> String {
        with_query(Self::ROUTE.to_owned(), self)
    }
}

/// `GET /v1/reference/{what}`: the current version of one kind of reference
/// data (JSON): the org tree, the catalogue or the form pack.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The kind (`ReferenceKind::as_str`).
    pub what: String,
}

impl Endpoint for Reference {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/reference/{what}";
    const REQUEST: Body = Body::None;
    const RESPONSE: Body = Body::Json;
    type Response = serde_json::Value;
    fn path(&self) -> String {
        format!("/v1/reference/{}", segment(&self.what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The route with every `{name}` replaced by the value `fill` gives it.
    fn route_filled(route: &str, fill: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        let mut rest = route;
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').unwrap() + start;
            out.push_str(&rest[..start]);
            out.push_str(&fill(&rest[start + 1..end]));
            rest = &rest[end + 1..];
        }
        out + rest
    }

    fn path_part(path: &str) -> &str {
        path.split('?').next().unwrap()
    }

    #[test]
    fn every_path_follows_its_route() {
        let params = |name: &str| match name {
            "id" => "r-1".to_owned(),
            "patrol" => "p-1".to_owned(),
            "chunk" => "7".to_owned(),
            "hash" => "ab12".to_owned(),
            "what" => "org_tree".to_owned(),
            other => panic!("no value for {other}"),
        };
        let check = |route: &str, path: String| {
            assert_eq!(path_part(&path), route_filled(route, &params), "{route}");
        };
        check(Sync::ROUTE, Sync.path());
        check(Register::ROUTE, Register.path());
        check(
            RegistrationStatus::ROUTE,
            RegistrationStatus { id: "r-1".into() }.path(),
        );
        check(News::ROUTE, News { after: 3 }.path());
        check(
            Scorecard::ROUTE,
            Scorecard {
                period: "2026-11".into(),
            }
            .path(),
        );
        check(Position::ROUTE, Position.path());
        check(
            TrackChunk::ROUTE,
            TrackChunk {
                patrol: "p-1".into(),
                chunk: 7,
                clock: TrackClock::default(),
            }
            .path(),
        );
        check(
            BlobStatus::ROUTE,
            BlobStatus {
                hash: "ab12".into(),
            }
            .path(),
        );
        check(
            BlobPart::ROUTE,
            BlobPart {
                hash: "ab12".into(),
                offset: 1,
                total: 2,
            }
            .path(),
        );
        check(KnowledgeChanges::ROUTE, KnowledgeChanges::default().path());
        check(
            Reference::ROUTE,
            Reference {
                what: "org_tree".into(),
            }
            .path(),
        );
    }

    #[test]
    fn queries_read_back_as_the_server_reads_them() {
        let q = TrackClock {
            clock_backwards: 2,
            clock_skew_ms: -90_000,
        };
        let path = TrackChunk {
            patrol: "p".into(),
            chunk: 0,
            clock: q,
        }
        .path();
        let query = path.split_once('?').unwrap().1;
        assert_eq!(serde_urlencoded::from_str::<TrackClock>(query).unwrap(), q);
        let k = KnowledgeChanges {
            since: 1,
            to: None,
            after: Some("task:甲&乙=?".into()),
            limit: None,
        };
        let query = k.path().split_once('?').unwrap().1.to_owned();
        assert_eq!(
            serde_urlencoded::from_str::<KnowledgeChanges>(&query).unwrap(),
            k
        );
        let s = Scorecard {
            period: "2026-W48".into(),
        };
        let query = s.path().split_once('?').unwrap().1.to_owned();
        assert_eq!(serde_urlencoded::from_str::<Scorecard>(&query).unwrap(), s);
    }

    #[test]
    fn path_parameters_cannot_leave_their_segment() {
        let p = RegistrationStatus {
            id: "../admin?x=1#y".into(),
        }
        .path();
        assert_eq!(p, "/v1/registrations/..%2Fadmin%3Fx%3D1%23y");
    }
}
