//! The attacker's suite: a real server with real phones and real browser sessions,
//! on SQLite and PostgreSQL. For every device route and page: no token, a bad
//! token, a pending and a revoked device, a worker of another grid, a supervisor of
//! another town; scripts in parameters and in stored fields; forged authors;
//! references across areas inside documents; upload interference; oversized and
//! slow requests; the login lockout across a restart and across two instances.
//! Each case checks the exact status, that the answer reveals nothing (an answer
//! about something outside the caller's area is byte for byte the answer about
//! something that does not exist), and that no stored byte changed.

use std::sync::Arc;
use std::time::Duration;

use fieldgrid_core::FieldStore;
use fieldgrid_core::household::Visit;
use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::org::{OrgUnit, Role, RoleAssignment, Scope, StaffMember, UnitLevel};
use fieldgrid_core::protocol::{
    self, DocPayload, PROTOCOL_VERSION, RejectCode, SyncRequest, SyncResponse,
};
use fieldgrid_core::records::{Household, HouseholdMember, Incident, Person, RecordKind};
use fieldgrid_core::sync::SyncClient;
use fieldgrid_server::Settings;
use fieldgrid_server::http::HttpLimits;
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::server::Instance;
use fieldgrid_tests::web::{client, form};
use fieldgrid_tests::{Backend, Device, TestServer, now_ms, walk_patrol};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Town B (白塔埠镇): one village, one grid, its worker and its supervisor.
const TOWN_B: &str = "320722105000";
const GRID_B: &str = "320722105201001";
const WORKER_B: &str = "worker-baita";
const SUPERVISOR_B: &str = "sup-baita";
const SCRIPT: &str = "<script>alert(1)</script>";

fn grid_a() -> String {
    format!("{}001", demo::village_code(0))
}

fn grid_a2() -> String {
    format!("{}001", demo::village_code(1))
}

/// The demo county with a second town.
async fn publish_two_towns(server: &TestServer) {
    let mut tree = demo::demo_county();
    tree.version = 2;
    tree.units.push(OrgUnit {
        code: TOWN_B.into(),
        name: "白塔埠镇".into(),
        level: UnitLevel::Town,
        parent: Some(demo::COUNTY.into()),
    });
    tree.units.push(OrgUnit {
        code: "320722105201".into(),
        name: "白塔村".into(),
        level: UnitLevel::Village,
        parent: Some(TOWN_B.into()),
    });
    let mut grid = tree.grids[0].clone();
    grid.code = GRID_B.into();
    grid.name = "白塔村第一网格".into();
    grid.unit = "320722105201".into();
    grid.parent_grid = None;
    for ring in &mut grid.boundary {
        for p in ring.iter_mut() {
            p[0] += 0.2;
        }
    }
    tree.grids.push(grid);
    for (id, role, scope) in [
        (
            WORKER_B,
            Role::FullTimeGridWorker,
            Scope::Grid(GRID_B.into()),
        ),
        (
            SUPERVISOR_B,
            Role::TownSupervisor,
            Scope::Unit(TOWN_B.into()),
        ),
    ] {
        tree.staff.push(StaffMember {
            id: id.into(),
            name: "白塔埠镇人员".into(),
            roles: vec![RoleAssignment { role, scope }],
        });
    }
    fieldgrid_server::admin::publish(&server.state, &tree)
        .await
        .unwrap();
}

/// A signed-in browser session: its cookie and CSRF token.
struct Session {
    base: String,
    cookie: String,
    csrf: String,
}

impl Session {
    async fn login(base: &str, user: &str, password: &str) -> Session {
        let r = client()
            .post(format!("{base}/ui/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("username", user), ("password", password)]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {user}");
        let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.contains("; Secure"),
            "cookies are Secure by default: {set}"
        );
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        let cookie = set.split(';').next().unwrap().to_owned();
        let page = client()
            .get(format!("{base}/ui/incidents"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = page
            .split("name=\"csrf\" content=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned();
        Session {
            base: base.to_owned(),
            cookie,
            csrf,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let r = client()
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.headers().clone(), r.text().await.unwrap())
    }

    async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        let r = client()
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&all))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

/// Everything the storage holds, as bytes: documents by id, and the change count.
async fn snapshot(server: &TestServer, ids: &[String]) -> (Vec<Option<Vec<u8>>>, i64, i64) {
    let storage = &server.state.storage;
    let mut docs = Vec::new();
    for id in ids {
        docs.push(storage.document(id).await.unwrap().map(|d| d.data));
    }
    let stats = storage.stats().await.unwrap();
    (docs, storage.last_seq().await.unwrap(), stats.documents)
}

/// A raw push of `docs` with `token`, answered as the server answers.
async fn push_raw(server: &TestServer, token: &str, docs: Vec<DocPayload>) -> SyncResponse {
    let request = SyncRequest {
        protocol: PROTOCOL_VERSION,
        app_version: "1.0.0".into(),
        cursor: None,
        push: docs,
        max_pull: 1,
    };
    let r = client()
        .post(format!("{}/v1/sync", server.url))
        .bearer_auth(token)
        .header("content-type", protocol::CBOR)
        .body(protocol::encode(&request))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    protocol::decode(&r.bytes().await.unwrap()).unwrap()
}

/// The whole document of `id` on `store`, as a push.
fn whole(store: &FieldStore, kind: RecordKind, id: &str) -> DocPayload {
    DocPayload {
        id: id.to_owned(),
        kind,
        data: store.changes_since(id, &[]).unwrap(),
    }
}

fn photo_bytes(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([seed.wrapping_add(x as u8), (y as u8).wrapping_mul(3), seed])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// What every device route answers without valid, approved credentials.
async fn device_routes_refuse_bad_credentials(
    server: &TestServer,
    pending: &str,
    revoked: &str,
    patrol: &str,
) {
    let hash = blake3::hash(b"x").to_hex().to_string();
    let routes: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::POST, "/v1/sync".into()),
        (reqwest::Method::GET, format!("/v1/tracks/{patrol}")),
        (reqwest::Method::PUT, format!("/v1/tracks/{patrol}/0")),
        (
            reqwest::Method::PUT,
            format!("/v1/blobs/{hash}?offset=0&total=1"),
        ),
        (reqwest::Method::GET, format!("/v1/blobs/{hash}/status")),
        (
            reqwest::Method::GET,
            "/v1/workers/x/days/2026-11-29/patrols".into(),
        ),
        (reqwest::Method::GET, "/v1/news?after=0".into()),
        (reqwest::Method::GET, "/v1/scorecard?period=2026-11".into()),
        (reqwest::Method::POST, "/v1/position".into()),
        (reqwest::Method::GET, "/v1/knowledge?since=0".into()),
    ];
    for (method, path) in &routes {
        for (token, status, code) in [
            (None, StatusCode::UNAUTHORIZED, "unauthenticated"),
            (
                Some("not-a-token"),
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
            ),
            (Some(pending), StatusCode::FORBIDDEN, "not_approved"),
            (Some(revoked), StatusCode::GONE, "device_revoked"),
        ] {
            let mut r = client()
                .request(method.clone(), format!("{}{path}", server.url))
                .body(vec![1u8]);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), status, "{method} {path} with {token:?}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["code"], code, "{method} {path}");
        }
    }
    // The administrator's routes take only an administrator's token, and the
    // hotline's only a hotline key: not a device's (pending or revoked), not
    // none. Publishing refuses before reading the file, and nothing is published
    // or taken in.
    let versions_before = server.state.storage.reference_versions().await.unwrap();
    let documents_before = server.state.storage.stats().await.unwrap().documents;
    let sheet = include_bytes!("../../../core/forms/catalogue.csv").to_vec();
    for (method, path) in [
        (reqwest::Method::GET, "/v1/admin/registrations"),
        (reqwest::Method::POST, "/v1/admin/registrations/x/approve"),
        (reqwest::Method::POST, "/v1/admin/devices/x/revoke"),
        (reqwest::Method::PUT, "/v1/admin/reference/org_tree"),
        (reqwest::Method::PUT, "/v1/admin/reference/forms"),
        (
            reqwest::Method::PUT,
            "/v1/admin/reference/catalogue?version=999",
        ),
        (reqwest::Method::POST, "/v1/hotline/tickets"),
        (reqwest::Method::GET, "/v1/hotline/tickets/T-1"),
    ] {
        for token in [None, Some(pending), Some(revoked)] {
            let mut r = client()
                .request(method.clone(), format!("{}{path}", server.url))
                .body(sheet.clone());
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let r = r.send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{path} with {token:?}"
            );
        }
    }
    assert_eq!(
        server.state.storage.reference_versions().await.unwrap(),
        versions_before
    );
    assert_eq!(
        server.state.storage.stats().await.unwrap().documents,
        documents_before
    );
}

async fn suite(backend: Backend) {
    let server = TestServer::start_with(
        backend,
        Settings {
            registrations_per_hour: 12,
            ..Settings::default()
        },
    )
    .await;
    publish_two_towns(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::worker(&server, dir.path(), "a", &grid_a()).await;
    let a2 = Device::worker(&server, dir.path(), "a2", &grid_a2()).await;
    let b = Device::enrol(&server, &server.url, dir.path(), "b", WORKER_B).await;

    // A pending and a revoked device.
    let pending_store = FieldStore::open(dir.path().join("pending.sqlite")).unwrap();
    let pending = SyncClient::register(
        &server.url,
        &pending_store,
        "待审",
        &fieldgrid_tests::id_number(901),
        "13900000001",
    )
    .await
    .unwrap();
    let revoked = Device::worker(&server, dir.path(), "revoked", &grid_a()).await;
    assert_eq!(
        server
            .admin_post(
                &format!("/v1/admin/devices/{}/revoke", revoked.registration_id),
                serde_json::json!({}),
            )
            .await,
        StatusCode::NO_CONTENT
    );

    // Town A's records: a household with a person, an incident with a photo, a patrol.
    let person_a = a.store.create(&Person::new(&grid_a(), "孙建国")).unwrap();
    let mut house = Household::new(&grid_a(), "石埠村8号", "孙建国");
    house.members.push(HouseholdMember {
        person_id: person_a.clone(),
        relation: "head".into(),
    });
    let house_a = a.store.create(&house).unwrap();
    let photo = a.store.add_photo(&photo_bytes(7)).unwrap().hash;
    let incident_a = a
        .store
        .create(&Incident {
            grid_code: grid_a(),
            category: "dispute.neighbour.noise".into(),
            description: "邻里噪音纠纷".into(),
            location: None,
            reporter_id: a.staff_id.clone(),
            reported_at: now_ms() / 1000,
            urgency: Default::default(),
            transitions: vec![],
            resident_id: Some(house_a.clone()),
            satisfaction: None,
            photos: vec![photo.clone()],
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })
        .unwrap();
    a.store.attach_photo(&photo, &incident_a, "report").unwrap();
    let patrol_a = walk_patrol(&a, &grid_a(), now_ms() - 3_600_000, 300.0, 1000, 600, 3);
    let p = a.sync().await.unwrap();
    assert_eq!(p.rejected, 0, "{:?}", a.store.sync_rejections().unwrap());
    // Town B's records.
    let person_b = b.store.create(&Person::new(GRID_B, "白小红")).unwrap();
    let house_b = b
        .store
        .create(&Household::new(GRID_B, "白塔村1号", "白小红"))
        .unwrap();
    b.sync().await.unwrap();
    a2.sync().await.unwrap();

    device_routes_refuse_bad_credentials(&server, &pending.token, &revoked.token, &patrol_a).await;

    let watched = vec![
        house_a.clone(),
        person_a.clone(),
        incident_a.clone(),
        house_b.clone(),
        person_b.clone(),
    ];
    let before = snapshot(&server, &watched).await;

    // --- Reads outside the area are answered as reads of nothing.
    let missing = uuid::Uuid::now_v7().to_string();
    for token in [&a2.token, &b.token] {
        let get = |path: String| {
            let token = token.clone();
            let url = server.url.clone();
            async move {
                let r = client()
                    .get(format!("{url}{path}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let theirs = get(format!("/v1/tracks/{patrol_a}")).await;
        let nothing = get(format!("/v1/tracks/{missing}")).await;
        let not_a_patrol = get(format!("/v1/tracks/{house_a}")).await;
        assert_eq!(theirs.0, StatusCode::NOT_FOUND);
        assert_eq!(theirs, nothing, "a patrol outside the area is told apart");
        assert_eq!(not_a_patrol, nothing, "the kind of a record is told");
        let r = client()
            .put(format!("{}/v1/tracks/{patrol_a}/99", server.url))
            .bearer_auth(token)
            .body(
                a.store
                    .pending_track_chunks(1)
                    .unwrap_or_default()
                    .first()
                    .map(|c| c.bytes.clone())
                    .unwrap_or_else(|| vec![0u8; 8]),
            )
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST),
            "{}",
            r.status()
        );
        let day = fieldgrid_core::forms::date_at(now_ms() / 1000).to_string();
        let (s, body) = get(format!("/v1/workers/{}/days/{day}/patrols", a.staff_id)).await;
        assert_eq!((s, body.as_str()), (StatusCode::OK, "[]"));
    }

    // --- Pushes: outside the area, forged authors, cross-area references.
    // A record placed in another town, and a record id that exists there: one answer.
    let rogue = a
        .store
        .create(&Household::new(GRID_B, "白塔村2号", "假户"))
        .unwrap();
    let mut same_id = whole(&a.store, RecordKind::Household, &rogue);
    let placed = push_raw(&server, &a.token, vec![same_id.clone()]).await;
    same_id.id = house_b.clone();
    // (The bytes name another id: the server must still not say what exists.)
    let existing = push_raw(&server, &a.token, vec![same_id]).await;
    assert_eq!(placed.pushed[0].rejected, Some(RejectCode::OutOfScope));
    assert!(existing.pushed[0].rejected.is_some());
    for r in [&placed.pushed[0], &existing.pushed[0]] {
        assert!(
            !r.reason.contains(GRID_B) && !r.reason.contains("household"),
            "{}",
            r.reason
        );
    }

    // A change made by someone else on this phone, or on another phone as this user.
    let forged = a
        .store
        .create(&Household::new(&grid_a(), "石埠村9号", "冒名"))
        .unwrap();
    let mut doc = whole(&a.store, RecordKind::Household, &forged);
    let other_phone = FieldStore::open(dir.path().join("other.sqlite")).unwrap();
    other_phone.sign_in(&a.staff_id);
    let elsewhere = other_phone
        .create(&Household::new(&grid_a(), "石埠村10号", "别机"))
        .unwrap();
    a.store.sign_in(&a2.staff_id);
    let as_other = a
        .store
        .create(&Household::new(&grid_a(), "石埠村11号", "他人"))
        .unwrap();
    a.store.sign_in(&a.staff_id);
    let answers = push_raw(
        &server,
        &a.token,
        vec![
            whole(&other_phone, RecordKind::Household, &elsewhere),
            whole(&a.store, RecordKind::Household, &as_other),
        ],
    )
    .await;
    for r in &answers.pushed {
        assert_eq!(r.rejected, Some(RejectCode::NotAuthor), "{r:?}");
    }
    // A visit in someone else's name, added to a's own household.
    a.store
        .update::<Household>(&forged, |h| {
            h.visits.push(Visit {
                id: uuid::Uuid::now_v7().to_string(),
                at: now_ms() / 1000,
                by: a2.staff_id.clone(),
                location: None,
                purpose: "routine".into(),
                notes: String::new(),
                photos: vec![],
                follow_up: false,
                follow_up_note: None,
            })
        })
        .unwrap();
    doc.data = a.store.changes_since(&forged, &[]).unwrap();
    let answer = push_raw(&server, &a.token, vec![doc]).await;
    assert_eq!(answer.pushed[0].rejected, Some(RejectCode::NotAuthor));
    assert!(!answer.pushed[0].reason.contains(&a2.staff_id));

    // A member from another town, a resident from another town, and an id that
    // exists nowhere: the same refusal for each.
    let mut reasons = Vec::new();
    for member in [person_b.clone(), uuid::Uuid::now_v7().to_string()] {
        let mut h = Household::new(&grid_a(), "石埠村12号", "跨区");
        h.members.push(HouseholdMember {
            person_id: member,
            relation: "child".into(),
        });
        let id = a.store.create(&h).unwrap();
        let r = push_raw(
            &server,
            &a.token,
            vec![whole(&a.store, RecordKind::Household, &id)],
        )
        .await;
        assert_eq!(r.pushed[0].rejected, Some(RejectCode::UnknownReference));
        reasons.push(r.pushed[0].reason.clone());
    }
    assert_eq!(reasons[0], reasons[1]);
    let mut cross = Incident {
        resident_id: Some(house_b.clone()),
        ..a.store.get::<Incident>(&incident_a).unwrap()
    };
    cross.transitions.clear();
    let cross_id = a.store.create(&cross).unwrap();
    let r = push_raw(
        &server,
        &a.token,
        vec![whole(&a.store, RecordKind::Incident, &cross_id)],
    )
    .await;
    assert_eq!(r.pushed[0].rejected, Some(RejectCode::UnknownReference));
    // None of it reached the storage.
    let mut ids = watched.clone();
    ids.extend([rogue, forged, elsewhere, as_other, cross_id]);
    let after = snapshot(&server, &ids).await;
    assert_eq!(
        after.0[..watched.len()],
        before.0[..],
        "a stored byte changed"
    );
    assert!(after.0[watched.len()..].iter().all(Option::is_none));
    assert_eq!((after.1, after.2), (before.1, before.2));

    // --- Uploads: another device cannot add to or read an unfinished upload.
    let big = vec![7u8; 4096];
    let hash = blake3::hash(&big).to_hex().to_string();
    let put = |token: &str, offset: u64, total: u64, body: Vec<u8>| {
        let url = format!(
            "{}/v1/blobs/{hash}?offset={offset}&total={total}",
            server.url
        );
        let token = token.to_owned();
        async move {
            let r = client()
                .put(url)
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let status = |token: &str| {
        let url = format!("{}/v1/blobs/{hash}/status", server.url);
        let token = token.to_owned();
        async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        put(&a.token, 0, 4096, big[..2048].to_vec()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        status(&a2.token).await["confirmed"],
        0,
        "another device sees the upload"
    );
    let (s, _) = put(&a2.token, 2048, 4096, vec![0u8; 2048]).await;
    assert_eq!(s, StatusCode::CONFLICT, "another device appends");
    assert_eq!(status(&a.token).await["confirmed"], 2048);
    let (s, _) = put(&a.token, u64::MAX - 10, u64::MAX, vec![1u8; 64]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, body) = put(&a.token, u64::MAX - 10, 100, vec![1u8; 64]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body) = put(&a.token, 2048, 4096, big[2048..].to_vec()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("\"complete\":true"), "{body}");
    // An abandoned upload is removed after the configured age.
    let left = vec![9u8; 1000];
    let left_hash = blake3::hash(&left).to_hex().to_string();
    let r = client()
        .put(format!(
            "{}/v1/blobs/{left_hash}?offset=0&total=1000",
            server.url
        ))
        .bearer_auth(&a.token)
        .body(left[..500].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let removed = fieldgrid_server::service::uploads::remove_stale(&server.state, 0)
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(
        server.state.blobs.partial_size(&left_hash).await.unwrap(),
        0
    );

    // --- Pages: a supervisor of each town.
    create_web_user(
        &server.state,
        "sup-a",
        "anfeng-password",
        "supervisor",
        TOWN_SUPERVISOR,
    )
    .await
    .unwrap();
    create_web_user(
        &server.state,
        "sup-b",
        "baita-password",
        "supervisor",
        SUPERVISOR_B,
    )
    .await
    .unwrap();
    let sup_a = Session::login(&server.url, "sup-a", "anfeng-password").await;
    let sup_b = Session::login(&server.url, "sup-b", "baita-password").await;

    // Signed out, or with a made-up cookie: no page opens.
    for path in [
        "/ui/",
        "/ui/incidents",
        &format!("/ui/incidents/{incident_a}"),
        "/ui/households",
        &format!("/ui/households/{house_a}"),
        "/ui/stats",
        "/ui/admin",
        "/ui/tasks",
        "/ui/urging",
        "/ui/assessment",
        "/ui/assessment/rules",
        &format!("/ui/assessment/worker/worker-{}", grid_a()),
        "/ui/export/scorecards.csv",
        "/ui/reports",
        "/ui/screen",
        "/ui/export/report.xlsx",
        "/ui/export/report.csv",
        "/ui/knowledge",
        "/ui/knowledge/preview",
        "/ui/knowledge/import",
        "/ui/knowledge/item/entry/ZS000001",
        "/ui/export/knowledge.xlsx",
        "/ui/export/knowledge-entries.csv",
        "/ui/export/knowledge-tasks.csv",
        &format!("/ui/photos/{photo}"),
        "/ui/export/incidents.csv",
        "/ui/export/stats.csv",
        "/ui/export/patrols.geojson",
        &format!("/ui/export/patrols/{patrol_a}.gpx"),
    ] {
        for cookie in ["", "fg_session=forged"] {
            let r = client()
                .get(format!("{}{path}", server.url))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(r.headers()["location"], "/ui/login");
        }
    }
    for path in [
        "/ui/api/map",
        &format!("/ui/api/patrols/{patrol_a}"),
        "/ui/api/live",
        "/ui/api/screen",
    ] {
        let r = client()
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }

    // Town A's records from town B's supervisor: exactly as records that do not exist.
    let no_hash = blake3::hash(b"nothing").to_hex().to_string();
    for (theirs, nothing) in [
        (
            format!("/ui/incidents/{incident_a}"),
            format!("/ui/incidents/{missing}"),
        ),
        (
            format!("/ui/households/{house_a}"),
            format!("/ui/households/{missing}"),
        ),
        (
            format!("/ui/households/{incident_a}"),
            format!("/ui/households/{missing}"),
        ),
        (
            format!("/ui/photos/{photo}"),
            format!("/ui/photos/{no_hash}"),
        ),
        (
            format!("/ui/api/patrols/{patrol_a}"),
            format!("/ui/api/patrols/{missing}"),
        ),
        (
            format!("/ui/export/patrols/{patrol_a}.gpx"),
            format!("/ui/export/patrols/{missing}.gpx"),
        ),
        (
            format!("/ui/assessment/worker/worker-{}", grid_a()),
            "/ui/assessment/worker/worker-nobody".into(),
        ),
        (
            format!("/ui/assessment/grid/{}", grid_a()),
            "/ui/assessment/grid/320722999201001".into(),
        ),
        (
            format!("/ui/assessment/town/{}", demo::TOWN),
            "/ui/assessment/town/320722999000".into(),
        ),
        (
            format!("/ui/assessment/{}/x", "<script>"),
            "/ui/assessment/nobody/x".into(),
        ),
    ] {
        let (s1, _, b1) = sup_b.get(&theirs).await;
        let (s2, _, b2) = sup_b.get(&nothing).await;
        assert_eq!(s1, StatusCode::NOT_FOUND, "{theirs}");
        assert_eq!((s1, b1), (s2, b2), "{theirs} is told apart from nothing");
    }
    let (s, h, _) = sup_a.get(&format!("/ui/photos/{photo}")).await;
    assert_eq!(s, StatusCode::OK, "the photo's own town sees it");
    assert_eq!(h["content-type"], "image/jpeg");
    let (_, _, list) = sup_b.get("/ui/incidents").await;
    assert!(!list.contains(&incident_a));
    let (_, _, csv) = sup_b.get("/ui/export/incidents.csv").await;
    assert!(!csv.contains(&incident_a));
    let (_, _, geo) = sup_b.get("/ui/export/patrols.geojson").await;
    assert!(!geo.contains(&patrol_a));
    // A town A worker's live position reaches town A's open page, never town B's.
    let mut page_a = fieldgrid_tests::web::Events::open(&server.url, &sup_a.cookie).await;
    let mut page_b = fieldgrid_tests::web::Events::open(&server.url, &sup_b.cookie).await;
    let patrol_now = a
        .store
        .start_patrol(
            &grid_a(),
            "日常巡查",
            fieldgrid_core::patrol::TravelMode::Walking,
        )
        .unwrap();
    let fix_now = fieldgrid_core::patrol::Fix {
        time_ms: now_ms() - 1_000,
        lat: 34.5021,
        lon: 118.7006,
        accuracy_m: 5.0,
        altitude_m: None,
        speed_mps: None,
        bearing_deg: None,
        provider: fieldgrid_core::patrol::Provider::Gps,
        mock: false,
    };
    a.store.ingest_fixes(&patrol_now, &[fix_now]).unwrap();
    assert!(a.client.send_position(&a.store).await.unwrap());
    let wait = std::time::Duration::from_secs(3);
    assert!(
        page_a
            .wait_for("position", &a.staff_id, wait)
            .await
            .is_some()
    );
    assert!(
        page_b
            .wait_for("position", &a.staff_id, wait)
            .await
            .is_none(),
        "town B's page got town A's position"
    );
    // Closed pages let go of their connections (a server stopping waits for them).
    drop((page_a, page_b));
    let (_, _, screen_b) = sup_b.get("/ui/api/screen").await;
    assert!(screen_b.contains("\"live_workers\":0"), "{screen_b}");
    a.store.stop_patrol(&patrol_now).unwrap();

    // Another town's worker's points: not there, and nothing stored.
    let (s1, b1) = sup_b
        .post(
            &format!("/ui/assessment/worker/worker-{}/points", grid_a()),
            &[("points", "5"), ("reason", "越权调整")],
        )
        .await;
    let (s2, b2) = sup_b
        .post(
            "/ui/assessment/worker/worker-nobody/points",
            &[("points", "5"), ("reason", "越权调整")],
        )
        .await;
    assert_eq!((s1, &b1), (StatusCode::NOT_FOUND, &b2), "{b1}");
    assert_eq!(s2, StatusCode::NOT_FOUND);
    let kept = server
        .state
        .storage
        .point_adjustments(&format!("worker-{}", grid_a()), 0, i64::MAX)
        .await
        .unwrap();
    assert!(kept.is_empty(), "{kept:?}");
    // The knowledge base: a town supervisor reads it but changes nothing; only the
    // county's administrators and command centre edit and publish.
    for (path, fields) in [
        (
            "/ui/knowledge/new/entry",
            vec![
                ("id", "ZS900001"),
                ("title", "越权新增"),
                ("kind", "guide"),
                ("department", "东海县民政局"),
                ("body", "正文"),
            ],
        ),
        ("/ui/knowledge/publish", vec![]),
        ("/ui/knowledge/discard", vec![]),
    ] {
        let (status, body) = sup_b.post(path, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    for param in ["q", "department", "kind", "show", "page"] {
        let (status, _, body) = sup_b
            .get(&format!(
                "/ui/knowledge?{param}=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
            ))
            .await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{param}: {status}"
        );
        assert!(
            !body.contains("<script>alert(1)"),
            "{param} reflected as markup"
        );
    }
    let (status, _, body) = sup_b.get("/ui/knowledge/item/%3Cscript%3E/x").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("<script>"));
    let (status, _, _) = sup_b.get("/ui/knowledge/new/entry").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        server
            .state
            .storage
            .knowledge_drafts()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(server.state.storage.knowledge_version().await.unwrap(), 0);
    let (_, _, cards) = sup_b.get("/ui/assessment?subject=worker").await;
    assert!(
        !cards.contains(&format!("worker-{}", grid_a())),
        "town B sees town A's worker"
    );
    let (_, _, csv) = sup_b.get("/ui/export/scorecards.csv?subject=grid").await;
    assert!(
        !csv.contains(&grid_a()),
        "town B's export holds town A's grid"
    );
    for page in ["/ui/tasks", "/ui/urging"] {
        let (s, _, body) = sup_b.get(page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            !body.contains(&incident_a),
            "{page} lists another town's case"
        );
    }
    // The step form's unit and date fields take only known units and dates; a
    // refusal names the field and never repeats the value.
    for (field, value) in [
        ("joint1", "<script>alert(1)</script>"),
        ("supervisor", "nobody-unit"),
        ("joint1_due", "<script>"),
        ("promised", "2026-02-30"),
        ("urge_method", "<b>x</b>"),
        ("answer", "<i>x</i>"),
    ] {
        let (s, body) = sup_a
            .post(
                &format!("/ui/incidents/{incident_a}/step"),
                &[("to", "dispatched"), (field, value)],
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(body.contains(field), "{field}: {body}");
        assert!(!body.contains(value), "{field} echoes its value");
    }
    // A step on town A's incident by town B's supervisor changes nothing.
    let bytes_before = server
        .state
        .storage
        .document(&incident_a)
        .await
        .unwrap()
        .unwrap()
        .data;
    let (s, body) = sup_b
        .post(
            &format!("/ui/incidents/{incident_a}/step"),
            &[("to", "accepted"), ("note", "")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        !body.contains("reported") && !body.contains("待受理"),
        "the stage leaks"
    );
    // Nor does another town's centre get a resident's number: the case does not
    // exist for it.
    let (s, _) = sup_b
        .post(&format!("/ui/incidents/{incident_a}/contact"), &[])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // And without the CSRF token, even town A's supervisor changes nothing.
    let r = client()
        .post(format!("{}/ui/incidents/{incident_a}/step", server.url))
        .header("cookie", &sup_a.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("to=accepted&csrf=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        server
            .state
            .storage
            .document(&incident_a)
            .await
            .unwrap()
            .unwrap()
            .data,
        bytes_before
    );

    // Reflected script in every parameter a page reads: refused, never echoed.
    let pages: Vec<String> = vec![
        "/ui/?day=".into(),
        "/ui/api/map?day=".into(),
        "/ui/incidents?stage=".into(),
        "/ui/incidents?colour=".into(),
        "/ui/incidents?category=".into(),
        "/ui/incidents?grid=".into(),
        "/ui/incidents?platform=".into(),
        "/ui/incidents?done=".into(),
        format!("/ui/incidents/{incident_a}?notice="),
        "/ui/households?grid=".into(),
        "/ui/households?filter=".into(),
        "/ui/households?problems=".into(),
        "/ui/stats?from=".into(),
        "/ui/stats?to=".into(),
        "/ui/stats?by=".into(),
        "/ui/tasks?kind=".into(),
        "/ui/assessment?period=".into(),
        "/ui/assessment?subject=".into(),
        format!("/ui/assessment/worker/worker-{}?period=", grid_a()),
        "/ui/export/scorecards.csv?period=".into(),
        "/ui/export/scorecards.csv?subject=".into(),
        "/ui/reports?period=".into(),
        "/ui/reports?by=".into(),
        "/ui/export/report.xlsx?period=".into(),
        "/ui/export/report.csv?by=".into(),
        "/ui/export/incidents.csv?stage=".into(),
        "/ui/export/stats.csv?by=".into(),
        "/ui/export/patrols.geojson?day=".into(),
    ];
    let encoded = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    for page in &pages {
        let (s, h, body) = sup_a.get(&format!("{page}{encoded}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
        assert!(!body.contains("<script>alert"), "{page} echoes the script");
        assert!(!body.contains("&lt;script&gt;"), "{page} echoes the value");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }

    // Stored script in every field a page shows: shown as text.
    let evil_house = a
        .store
        .create(&Household::new(
            &grid_a(),
            &format!("{SCRIPT}村"),
            &format!("<img src=x onerror=alert(2)>{SCRIPT}"),
        ))
        .unwrap();
    // A township's sheet with a script and a formula as a category's name.
    let mut catalogue = fieldgrid_core::incident::default_catalogue();
    catalogue.version += 1;
    let street = catalogue
        .categories
        .iter_mut()
        .find(|c| c.code == "urban")
        .and_then(|c| c.children.iter_mut().find(|c| c.code == "urban.street"))
        .unwrap();
    let mut evil = street.children[0].clone();
    evil.code = "urban.street.evil".into();
    evil.name = format!("\t=cmd|' /C calc'!A0{SCRIPT}");
    street.children.push(evil);
    assert_eq!(
        server
            .admin_put(
                "/v1/admin/reference/catalogue",
                serde_json::to_value(&catalogue).unwrap()
            )
            .await,
        StatusCode::NO_CONTENT
    );
    let evil_incident = a
        .store
        .create(&Incident {
            category: "urban.street.evil".into(),
            description: format!("=HYPERLINK(\"http://evil\"){SCRIPT}"),
            resident_id: None,
            photos: vec![],
            transitions: vec![],
            ..a.store.get::<Incident>(&incident_a).unwrap()
        })
        .unwrap();
    // A script (or a formula) as the category is not a category in force: the
    // server refuses the record, so no page ever shows it.
    let evil_category = a
        .store
        .create(&Incident {
            category: format!("x{SCRIPT}"),
            resident_id: None,
            photos: vec![],
            transitions: vec![],
            ..a.store.get::<Incident>(&incident_a).unwrap()
        })
        .unwrap();
    a.sync().await.unwrap();
    for id in [&evil_house, &evil_incident] {
        assert!(server.state.storage.document(id).await.unwrap().is_some());
    }
    assert!(
        server
            .state
            .storage
            .document(&evil_category)
            .await
            .unwrap()
            .is_none()
    );
    let refused = a.store.sync_rejections().unwrap();
    assert!(
        refused
            .iter()
            .any(|r| r.id == evil_category && r.code == "invalid_document"),
        "{refused:?}"
    );
    for page in [
        "/ui/households".to_owned(),
        format!("/ui/households/{evil_house}"),
        "/ui/incidents".to_owned(),
        format!("/ui/incidents/{evil_incident}"),
        "/ui/stats?by=grid".to_owned(),
    ] {
        let (s, h, body) = sup_a.get(&page).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            !body.contains(SCRIPT) && !body.contains("<img src=x"),
            "{page} runs a stored script"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
        assert!(
            !body.contains("<script>\n") && !body.contains("<script>("),
            "{page} has inline script"
        );
    }
    let (_, _, csv) = sup_a.get("/ui/export/incidents.csv").await;
    assert!(
        csv.contains("\"'\t=cmd"),
        "a tab-led formula is not neutralised"
    );
    let (_, search) = sup_a.post("/ui/households", &[("q", "孙建国")]).await;
    assert!(
        search.contains("孙建国"),
        "search by POST finds the household"
    );

    // --- The login lockout holds across a restart and across a second instance.
    for _ in 0..5 {
        let r = client()
            .post(format!("{}/ui/login", server.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("username", "sup-a"), ("password", "wrong")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let second = Instance::start(
        server.state.storage.clone(),
        server.state.blobs.clone(),
        Settings::default(),
    )
    .await;
    let reopened = match backend {
        // A restart of an SQLite server: the same file opened anew.
        Backend::Sqlite => Some(
            Instance::start(
                Arc::new(
                    fieldgrid_server::storage::SqliteStorage::open(
                        server.dir.path().join("server.sqlite"),
                    )
                    .unwrap(),
                ),
                server.state.blobs.clone(),
                Settings::default(),
            )
            .await,
        ),
        Backend::Postgres => None,
    };
    for url in std::iter::once(&second.url).chain(reopened.as_ref().map(|i| &i.url)) {
        let r = client()
            .post(format!("{url}/ui/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("username", "sup-a"),
                ("password", "anfeng-password"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{url}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    // Per address: twenty failures across names lock the address for every name.
    for n in 0..20 {
        client()
            .post(format!("{}/ui/login", second.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("username", &format!("guess{n}")),
                ("password", "x"),
            ]))
            .send()
            .await
            .unwrap();
    }
    let r = client()
        .post(format!("{}/ui/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("username", "sup-b"),
            ("password", "baita-password"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // Registrations per address.
    let mut last = StatusCode::OK;
    for n in 0..60 {
        let store = FieldStore::open(dir.path().join(format!("flood{n}.sqlite"))).unwrap();
        match SyncClient::register(
            &server.url,
            &store,
            "批量",
            &fieldgrid_tests::id_number(1000 + n),
            "13900000002",
        )
        .await
        {
            Ok(_) => {}
            Err(e) => {
                assert!(e.to_string().contains("429"), "{e}");
                last = StatusCode::TOO_MANY_REQUESTS;
                break;
            }
        }
    }
    assert_eq!(
        last,
        StatusCode::TOO_MANY_REQUESTS,
        "registrations are not limited"
    );
    // A database from before photo references were kept: they are filled in.
    if backend == Backend::Sqlite {
        let db = rusqlite::Connection::open(server.dir.path().join("server.sqlite")).unwrap();
        db.execute("DELETE FROM blob_refs", []).unwrap();
        assert_eq!(
            sup_a.get(&format!("/ui/photos/{photo}")).await.0,
            StatusCode::NOT_FOUND
        );
        let read = fieldgrid_server::service::backfill::backfill_photo_refs(&server.state)
            .await
            .unwrap();
        assert!(read > 5, "{read}");
        assert_eq!(
            sup_a.get(&format!("/ui/photos/{photo}")).await.0,
            StatusCode::OK
        );
        // Done once per database: the next start reads nothing.
        let again = fieldgrid_server::service::backfill::backfill_photo_refs(&server.state)
            .await
            .unwrap();
        assert_eq!(again, 0, "the backfill ran again");
        assert_eq!(
            sup_b.get(&format!("/ui/photos/{photo}")).await.0,
            StatusCode::NOT_FOUND
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attacks_fail_on_sqlite() {
    suite(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attacks_fail_on_postgres() {
    suite(Backend::Postgres).await;
}

/// At the connection cap, phones kept alive idle since their last answer make
/// room for a new one: the oldest is closed, the newcomer served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_make_room_at_the_cap() {
    let server = TestServer::start_full(
        Backend::Sqlite,
        Settings::default(),
        HttpLimits {
            max_connections: 4,
            header_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        },
    )
    .await;
    let mut buf = vec![0u8; 1024];
    let mut kept = Vec::new();
    for _ in 0..4 {
        let mut c = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let n = c.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        kept.push(c);
    }
    for round in 0..3 {
        let r = client()
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: a new phone was turned away: {e}"));
        assert_eq!(r.status(), StatusCode::OK);
    }
    // The oldest idle connections were closed for them, oldest first.
    let n = tokio::time::timeout(Duration::from_secs(2), kept[0].read(&mut buf))
        .await
        .expect("the oldest idle connection is still open")
        .unwrap_or(0);
    assert_eq!(n, 0);
    let newest = tokio::time::timeout(Duration::from_millis(300), kept[3].read(&mut buf)).await;
    assert!(newest.is_err(), "the newest idle connection was closed too");
    // What the cap did is counted for the operator.
    let metrics = server.metrics().await;
    assert!(
        metrics["fieldgrid_http_connections_idle_closed_total"] >= 1.0,
        "{metrics:?}"
    );
    assert_eq!(metrics["fieldgrid_http_connections_turned_away_total"], 0.0);
    assert!(
        metrics["fieldgrid_http_connections_open"] <= 4.0,
        "{metrics:?}"
    );
    server.stop().await;
}

/// Oversized bodies, slow headers and too many connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_slow_and_flooding_requests_are_cut() {
    let server = TestServer::start_full(
        Backend::Sqlite,
        Settings {
            max_body_bytes: 64 * 1024,
            ..Settings::default()
        },
        HttpLimits {
            max_connections: 4,
            header_timeout: Duration::from_millis(500),
            request_timeout: Duration::from_secs(2),
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::worker(&server, dir.path(), "a", &grid_a()).await;
    let r = client()
        .post(format!("{}/v1/sync", server.url))
        .bearer_auth(&a.token)
        .body(vec![0u8; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Metrics are for a scraper on this machine, not for requests a proxy forwarded.
    let r = client()
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .get(format!("{}/metrics", server.url))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Headers sent one byte at a time, never finished: the connection is closed.
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("a slow client holds the connection open")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A kept-alive connection left idle after its answer is closed.
    let mut kept = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let n = tokio::time::timeout(Duration::from_secs(5), kept.read(&mut buf))
        .await
        .expect("an idle kept-alive connection stays open")
        .unwrap_or(0);
    assert_eq!(n, 0);

    // A body that never arrives: the request times out.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 1000\r\n\r\nabc",
                a.token
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let n = tokio::time::timeout(Duration::from_secs(6), stalled.read(&mut buf))
        .await
        .expect("a stalled body holds the request open")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");

    // Four idle connections fill the cap; a fifth is closed at once.
    let mut idle = Vec::new();
    for _ in 0..4 {
        let mut c = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        c.write_all(b"G").await.unwrap();
        idle.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _ = fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let n = tokio::time::timeout(Duration::from_secs(2), fifth.read(&mut buf))
        .await
        .expect("the fifth connection is neither served nor closed")
        .unwrap_or(0);
    assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf[..n]));
    // Once they time out, the server serves again.
    drop(idle);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let r = client()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let metrics = server.metrics().await;
    assert!(
        metrics["fieldgrid_http_connections_turned_away_total"] >= 1.0,
        "{metrics:?}"
    );
    server.stop().await;
}
