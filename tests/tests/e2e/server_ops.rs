//! The server as operators see it: the OpenAPI description matches the routes,
//! Prometheus metrics count what happened, and shutdown lets in-flight requests
//! finish.

use std::time::Duration;

use fieldgrid_core::protocol::{self, PROTOCOL_VERSION, SyncRequest};
use fieldgrid_core::records::Household;
use fieldgrid_tests::{Backend, Device, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The route a phone endpoint's contract declares, by the contract's name.
fn contract_route(name: &str) -> Option<&'static str> {
    use fieldgrid_core::protocol::endpoints::{self as ep, Endpoint};
    Some(match name {
        "Sync" => ep::Sync::ROUTE,
        "News" => ep::News::ROUTE,
        "Scorecard" => ep::Scorecard::ROUTE,
        "Position" => ep::Position::ROUTE,
        "Register" => ep::Register::ROUTE,
        "RegistrationStatus" => ep::RegistrationStatus::ROUTE,
        "Reference" => ep::Reference::ROUTE,
        "KnowledgeChanges" => ep::KnowledgeChanges::ROUTE,
        "TrackChunk" => ep::TrackChunk::ROUTE,
        "BlobPart" => ep::BlobPart::ROUTE,
        "BlobStatus" => ep::BlobStatus::ROUTE,
        _ => return None,
    })
}

/// `(method, path)` of every route registered in the router's source (however
/// rustfmt wraps the calls): a literal path, or a contract's `ep::Name::ROUTE`.
fn routes_in_source() -> Vec<(String, String)> {
    let source = include_str!("../../../sync-server/src/api/mod.rs");
    source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start();
            let (path, tail) = match rest.strip_prefix('"') {
                Some(literal) => {
                    let (path, tail) = literal.split_once('"')?;
                    (path.to_owned(), tail)
                }
                None => {
                    let name = rest.strip_prefix("ep::")?;
                    let (name, tail) = name.split_once("::ROUTE")?;
                    let route = contract_route(name)
                        .unwrap_or_else(|| panic!("no contract named {name} in the test"));
                    (route.to_owned(), tail)
                }
            };
            let method = tail
                .trim_start()
                .trim_start_matches(',')
                .trim_start()
                .split('(')
                .next()?
                .to_owned();
            Some((method, path))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_description_matches_the_routes() {
    let server = TestServer::start(Backend::Sqlite).await;
    let spec: serde_json::Value = reqwest::get(format!("{}/v1/openapi.json", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut routed = routes_in_source();
    documented.sort();
    routed.sort();
    assert_eq!(routed.len(), 27, "{routed:?}");
    assert_eq!(documented, routed);
    // Every documented operation is really routed (a 404 from the router itself has
    // no JSON body, and a wrong method is 405).
    let client = reqwest::Client::new();
    for (method, path) in &documented {
        let url = format!(
            "{}{}",
            server.url,
            path.replace("{id}", "x")
                .replace("{what}", "org_tree")
                .replace("{patrol}", "p")
                .replace("{chunk}", "0")
                .replace("{worker}", "w")
                .replace("{day}", "2026-11-24")
                .replace("{hash}", &"a".repeat(64))
                .replace("{ticket}", "T-1")
        );
        let response = client
            .request(method.to_uppercase().parse().unwrap(), &url)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_ne!(
            status,
            reqwest::StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert!(
            status != reqwest::StatusCode::NOT_FOUND || body.contains("\"code\""),
            "{method} {path} is not routed"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_sync_bytes_and_devices() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", fieldgrid_core::org::demo::village_code(4));
    let a = Device::worker(&server, dir.path(), "a", &g).await;
    a.store
        .create(&Household::new(&g, "东湖村2号", "周海涛"))
        .unwrap();
    a.sync().await.unwrap();
    let metrics = server.metrics().await;
    let value = |sample: &str| -> f64 {
        *metrics
            .get(sample)
            .unwrap_or_else(|| panic!("no {sample} in {metrics:?}"))
    };
    assert!(value("fieldgrid_http_requests_total{route=\"/v1/sync\",status=\"200\"}") >= 1.0);
    assert!(value("fieldgrid_http_request_duration_seconds_count{route=\"/v1/sync\"}") >= 1.0);
    assert!(value("fieldgrid_sync_bytes_total{direction=\"received\"}") > 0.0);
    assert!(value("fieldgrid_sync_bytes_total{direction=\"sent\"}") > 0.0);
    assert_eq!(
        value("fieldgrid_sync_documents_total{direction=\"pushed\"}"),
        1.0
    );
    assert_eq!(value("fieldgrid_devices{status=\"approved\"}"), 1.0);
    assert_eq!(value("fieldgrid_documents"), 1.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", fieldgrid_core::org::demo::village_code(5));
    let a = Device::worker(&server, dir.path(), "a", &g).await;
    let id = a
        .store
        .create(&Household::new(&g, "西湖村5号", "徐秀英"))
        .unwrap();
    let body = protocol::encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        app_version: "1.0.0".into(),
        cursor: None,
        push: vec![protocol::DocPayload {
            id: id.clone(),
            kind: fieldgrid_core::records::RecordKind::Household,
            data: a.store.changes_since(&id, &[]).unwrap(),
        }],
        max_pull: 10,
    });
    // Send the headers and half the body, then ask the server to stop.
    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: fieldgrid\r\nAuthorization: Bearer {}\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        a.token,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body[..body.len() / 2]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let state = server.state.clone();
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "the server stopped with a request in flight"
    );
    // The rest of the body arrives; the request completes and is stored.
    conn.write_all(&body[body.len() / 2..]).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        text.lines().next().unwrap_or("")
    );
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
    assert!(state.storage.document(&id).await.unwrap().is_some());
}

/// The hourly sweep runs on one instance at a time: while another instance holds
/// the lead it does nothing; once released, this instance sweeps (stale uploads
/// and old news removed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_sweeps_at_a_time_on_postgres() {
    let server = TestServer::start(Backend::Postgres).await;
    let state = &server.state;
    let hash = blake3::hash(b"a photo never finished").to_hex().to_string();
    state
        .blobs
        .append_partial(&hash, 0, b"a photo")
        .await
        .unwrap();
    // Claimed long ago: past any upload's age.
    state
        .storage
        .claim_upload(&hash, "someone", 100)
        .await
        .unwrap();
    let other = state.storage.try_lead("sweep").await.unwrap().unwrap();
    assert!(!fieldgrid_server::service::jobs::sweep(state).await.unwrap());
    assert_eq!(
        state.blobs.partial_size(&hash).await.unwrap(),
        7,
        "nothing swept"
    );
    other.release().await;
    assert!(fieldgrid_server::service::jobs::sweep(state).await.unwrap());
    assert_eq!(
        state.blobs.partial_size(&hash).await.unwrap(),
        0,
        "the stale upload is gone"
    );
    server.stop().await;
}
