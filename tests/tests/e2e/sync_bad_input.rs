//! Bad input over real HTTP: malformed and truncated messages and change bytes,
//! oversized bodies, unknown versions, forged cursors, invalid registrations. Each
//! gets a clear 4xx answer and nothing stored is touched.

use fieldgrid_core::protocol::{
    self, CBOR, Cursor, DocPayload, ErrorBody, ErrorCode, PROTOCOL_VERSION, RejectCode,
    SyncRequest, SyncResponse,
};
use fieldgrid_core::records::{Household, RecordKind};
use fieldgrid_server::Settings;
use fieldgrid_tests::{Backend, Device, TestServer};
use reqwest::StatusCode;

fn request(push: Vec<DocPayload>) -> SyncRequest {
    SyncRequest {
        protocol: PROTOCOL_VERSION,
        app_version: "1.0.0".into(),
        cursor: None,
        push,
        max_pull: 100,
    }
}

async fn post(server: &TestServer, token: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, CBOR)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn error(response: reqwest::Response, status: StatusCode) -> ErrorBody {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_truncated_and_oversized_input_is_refused_cleanly() {
    let server = TestServer::start_with(
        Backend::Sqlite,
        Settings {
            max_body_bytes: 64 * 1024,
            ..Settings::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", fieldgrid_core::org::demo::village_code(0));
    let a = Device::worker(&server, dir.path(), "a", &g).await;
    let id = a
        .store
        .create(&Household::new(&g, "安峰村1号", "刘凤"))
        .unwrap();
    a.sync().await.unwrap();
    let stored_before = server.state.storage.document(&id).await.unwrap().unwrap();
    let seq_before = server.state.storage.last_seq().await.unwrap();

    // Not CBOR at all, and a message cut short.
    let e = error(
        post(&server, &a.token, b"{\"protocol\":1}".to_vec()).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.code, ErrorCode::BadRequest);
    assert!(
        e.message.contains("not a valid sync message"),
        "{}",
        e.message
    );
    let whole = protocol::encode(&request(vec![]));
    let e = error(
        post(&server, &a.token, whole[..whole.len() / 2].to_vec()).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(!e.message.is_empty());

    // Valid message, truncated change bytes: that document is refused, the rest is fine.
    a.store
        .update::<Household>(&id, |h| h.head_name = "刘凤英".into())
        .unwrap();
    let full = a.store.changes_since(&id, &[]).unwrap();
    let push = vec![
        DocPayload {
            id: id.clone(),
            kind: RecordKind::Household,
            data: full[..full.len() - 7].to_vec(),
        },
        DocPayload {
            id: "fresh-1".into(),
            kind: RecordKind::Household,
            data: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2],
        },
        DocPayload {
            id: "../../etc/passwd".into(),
            kind: RecordKind::Household,
            data: full.clone(),
        },
    ];
    let response = post(&server, &a.token, protocol::encode(&request(push))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: SyncResponse = protocol::decode(&response.bytes().await.unwrap()).unwrap();
    let codes: Vec<_> = answer.pushed.iter().map(|p| p.rejected).collect();
    assert_eq!(
        codes,
        [
            Some(RejectCode::InvalidChanges),
            Some(RejectCode::InvalidChanges),
            Some(RejectCode::InvalidId)
        ]
    );
    assert!(answer.pushed.iter().all(|p| !p.reason.is_empty()));

    // The wrong kind for a stored record.
    let push = vec![DocPayload {
        id: id.clone(),
        kind: RecordKind::Person,
        data: full.clone(),
    }];
    let response = post(&server, &a.token, protocol::encode(&request(push))).await;
    let answer: SyncResponse = protocol::decode(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.pushed[0].rejected, Some(RejectCode::WrongKind));

    // Unknown protocol version, too-old app, a forged cursor.
    let mut future = request(vec![]);
    future.protocol = 99;
    let e = error(
        post(&server, &a.token, protocol::encode(&future)).await,
        StatusCode::UPGRADE_REQUIRED,
    )
    .await;
    assert_eq!(e.code, ErrorCode::UpgradeRequired);
    assert!(e.message.contains("please update"), "{}", e.message);
    let mut forged = request(vec![]);
    forged.cursor = Some(Cursor(b"give me everything".to_vec()));
    let e = error(
        post(&server, &a.token, protocol::encode(&forged)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(e.message.contains("cursor"), "{}", e.message);

    // Too large a body.
    let big = vec![DocPayload {
        id: "big".into(),
        kind: RecordKind::Household,
        data: vec![7; 100 * 1024],
    }];
    let response = post(&server, &a.token, protocol::encode(&request(big))).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing stored was touched by any of it.
    let stored_after = server.state.storage.document(&id).await.unwrap().unwrap();
    assert_eq!(stored_after.data, stored_before.data);
    assert_eq!(stored_after.version, stored_before.version);
    assert_eq!(server.state.storage.last_seq().await.unwrap(), seq_before);
    assert!(
        server
            .state
            .storage
            .document("fresh-1")
            .await
            .unwrap()
            .is_none()
    );

    // And the phone's real sync still goes through afterwards.
    a.sync().await.unwrap();
    let merged = fieldgrid_core::merge_document(
        RecordKind::Household,
        &id,
        None,
        &server
            .state
            .storage
            .document(&id)
            .await
            .unwrap()
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(merged.title, "刘凤英 · 安峰村1号");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_with_bad_identity_data_are_refused_without_echoing_it() {
    let server = TestServer::start(Backend::Sqlite).await;
    let bad_id = "320722198001010001"; // wrong check character
    let response = reqwest::Client::new()
        .post(format!("{}/v1/registrations", server.url))
        .json(&serde_json::json!({
            "device_id": "zz",
            "name": "",
            "id_number": bad_id,
            "phone": "12345",
            "token_hash": "abc",
        }))
        .send()
        .await
        .unwrap();
    let e = error(response, StatusCode::BAD_REQUEST).await;
    for expected in [
        "name",
        "check character",
        "mobile number",
        "device_id",
        "token_hash",
    ] {
        assert!(
            e.message.contains(expected),
            "missing {expected:?} in {}",
            e.message
        );
    }
    assert!(!e.message.contains(bad_id), "{}", e.message);
    assert!(!e.message.contains("12345"), "{}", e.message);
    // Not JSON at all.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/registrations", server.url))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        server
            .state
            .storage
            .accounts(None)
            .await
            .unwrap()
            .is_empty()
    );
    // Unknown reference data and unknown routes are 4xx too.
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/reference/..%2F..%2Fetc%2Fpasswd",
            server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}
