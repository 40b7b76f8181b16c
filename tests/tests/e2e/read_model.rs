//! The pages' read model never runs ahead of storage. A handler of another unit
//! tries a step on a case dispatched elsewhere: the server refuses it, and no page
//! of any instance shows it. The unit the case was sent to then starts and
//! finishes it from the pages, on one instance and then the other. After every
//! step the pages of both instances, storage and a phone that syncs agree on the
//! stage and on every note. Then an instance restarts on its kept read model and
//! catches up from where it stood.

use fieldgrid_core::incident::replay;
use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::records::Incident;
use fieldgrid_server::Settings;
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::server::Instance;
use fieldgrid_tests::web::{client, form, sign_in};
use fieldgrid_tests::{Backend, Device, TestServer};

const MARKET_UNIT: &str = "320722104000-shichang";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A person signed in to one instance's pages.
struct Page {
    base: String,
    cookie: String,
    csrf: String,
}

impl Page {
    async fn open(base: &str, user: &str) -> Page {
        let (cookie, csrf) = sign_in(base, user, "correct horse").await;
        Page {
            base: base.to_owned(),
            cookie,
            csrf,
        }
    }

    /// Posts a step; answers the status.
    async fn step(&self, id: &str, fields: &[(&str, &str)]) -> reqwest::StatusCode {
        let mut pairs = vec![("csrf", self.csrf.as_str())];
        pairs.extend_from_slice(fields);
        client()
            .post(format!("{}/ui/incidents/{id}/step", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&pairs))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// The incident page: its stage code and its whole text.
    async fn incident(&self, id: &str) -> (String, String) {
        let r = client()
            .get(format!("{}/ui/incidents/{id}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the incident page");
        let html = r.text().await.unwrap();
        let at = html
            .find("id=\"incident-stage\" data-stage=\"")
            .expect("the page shows the stage");
        let rest = &html[at + "id=\"incident-stage\" data-stage=\"".len()..];
        (rest[..rest.find('"').unwrap()].to_owned(), html)
    }
}

/// The stage storage holds and the notes of its steps.
async fn stored(server: &TestServer, id: &str) -> (String, Vec<String>) {
    let doc = server.state.storage.document(id).await.unwrap().unwrap();
    let incident: Incident = fieldgrid_core::read_record(id, &doc.data).unwrap();
    (
        replay(&incident).stage.as_str().to_owned(),
        incident
            .transitions
            .iter()
            .map(|t| t.note.clone())
            .collect(),
    )
}

/// Checks that storage, a phone that syncs and the pages of every instance show
/// `stage`; that every note in `notes` is on each page and in storage; and that
/// none of `refused` is anywhere.
async fn agree(
    server: &TestServer,
    phone: &Device,
    pages: &[&Page],
    id: &str,
    stage: &str,
    refused: &[&str],
) {
    let (in_storage, notes) = stored(server, id).await;
    assert_eq!(in_storage, stage, "storage");
    phone.sync().await.unwrap();
    let on_phone = replay(&phone.store.get::<Incident>(id).unwrap());
    assert_eq!(on_phone.stage.as_str(), stage, "the phone");
    for page in pages {
        let (shown, html) = page.incident(id).await;
        assert_eq!(shown, stage, "the page of {}", page.base);
        for note in notes.iter().filter(|n| !n.is_empty()) {
            assert!(html.contains(note.as_str()), "{note} on {}", page.base);
        }
        for note in refused {
            assert!(
                !html.contains(note),
                "a refused step's note on {}",
                page.base
            );
        }
    }
    for note in refused {
        assert!(
            !notes.iter().any(|n| n == note),
            "a refused step in storage"
        );
    }
}

async fn a_refused_step_leaves_no_trace(backend: Backend, two_instances: bool) {
    let server = TestServer::start(backend).await;
    let second = if two_instances {
        Some(
            Instance::start(
                server.state.storage.clone(),
                server.state.blobs.clone(),
                Settings::default(),
            )
            .await,
        )
    } else {
        None
    };
    let other = second
        .as_ref()
        .map_or(server.url.clone(), |i| i.url.clone());
    for (user, staff) in [
        ("sun", TOWN_SUPERVISOR),
        ("zhifa", "handler-zhifa"),
        ("shichang", "handler-shichang"),
    ] {
        create_web_user(&server.state, user, "correct horse", "supervisor", staff)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let grid = format!("{}002", demo::village_code(1));
    let worker = Device::worker(&server, dir.path(), "worker", &grid).await;
    let id = worker
        .store
        .report_incident(&Incident {
            grid_code: grid.clone(),
            category: "market.pricing.scales".into(),
            description: "集市上一摊位的秤短斤少两".into(),
            location: None,
            reporter_id: worker.staff_id.clone(),
            reported_at: now(),
            urgency: Default::default(),
            transitions: vec![],
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })
        .unwrap();
    worker.sync().await.unwrap();

    let sun = Page::open(&server.url, "sun").await;
    let zhifa = Page::open(&server.url, "zhifa").await;
    let shichang_here = Page::open(&server.url, "shichang").await;
    let shichang_there = Page::open(&other, "shichang").await;
    let pages = [&sun, &shichang_there];

    assert_eq!(sun.step(&id, &[("to", "accepted")]).await, 303);
    let dispatch = [("to", "dispatched"), ("assignee", MARKET_UNIT)];
    assert_eq!(sun.step(&id, &dispatch).await, 303);
    agree(&server, &worker, &pages, &id, "dispatched", &[]).await;

    // Another unit's handler: refused, and no trace of it anywhere.
    let wrong = "执法平台误点开始处置";
    let status = zhifa
        .step(&id, &[("to", "handling"), ("note", wrong)])
        .await;
    assert!(
        status.is_client_error(),
        "another unit's step is refused: {status}"
    );
    agree(&server, &worker, &pages, &id, "dispatched", &[wrong]).await;
    let finished_wrong = "执法平台误点办结";
    let status = zhifa
        .step(&id, &[("to", "handled"), ("note", finished_wrong)])
        .await;
    assert!(status.is_client_error(), "{status}");
    agree(
        &server,
        &worker,
        &pages,
        &id,
        "dispatched",
        &[wrong, finished_wrong],
    )
    .await;

    // The unit the case was sent to starts it on one instance and finishes it on
    // the other.
    let start = "已联系摊主，前往核查";
    assert_eq!(
        shichang_there
            .step(&id, &[("to", "handling"), ("note", start)])
            .await,
        303,
        "the owning unit starts the case"
    );
    agree(
        &server,
        &worker,
        &pages,
        &id,
        "handling",
        &[wrong, finished_wrong],
    )
    .await;
    let done = "已责令整改，秤已校准";
    assert_eq!(
        shichang_here
            .step(&id, &[("to", "handled"), ("note", done)])
            .await,
        303,
        "the owning unit finishes the case"
    );
    agree(
        &server,
        &worker,
        &pages,
        &id,
        "handled",
        &[wrong, finished_wrong],
    )
    .await;
    let (_, notes) = stored(&server, &id).await;
    assert!(notes.iter().any(|n| n == start) && notes.iter().any(|n| n == done));
    drop(second);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_page_step_leaves_no_trace_on_sqlite() {
    a_refused_step_leaves_no_trace(Backend::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_page_step_leaves_no_trace_on_postgres_with_two_instances() {
    a_refused_step_leaves_no_trace(Backend::Postgres, true).await;
}

/// An instance restarted on its kept read model goes on from where it stood: the
/// cases made while it was down show, and what it had stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_read_model_is_kept_across_restarts() {
    let server = TestServer::start(Backend::Sqlite).await;
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        TOWN_SUPERVISOR,
    )
    .await
    .unwrap();
    let kept = tempfile::tempdir().unwrap();
    let settings = || Settings {
        read_model_dir: Some(kept.path().join("read-model")),
        ..Settings::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let grid = format!("{}002", demo::village_code(1));
    let worker = Device::worker(&server, dir.path(), "worker", &grid).await;
    let report = |text: &str| {
        worker
            .store
            .report_incident(&Incident {
                grid_code: grid.clone(),
                category: "market.pricing.scales".into(),
                description: text.into(),
                location: None,
                reporter_id: worker.staff_id.clone(),
                reported_at: now(),
                urgency: Default::default(),
                transitions: vec![],
                resident_id: None,
                satisfaction: None,
                photos: Vec::new(),
                channel: Default::default(),
                contact: None,
                address: None,
                ticket: None,
            })
            .unwrap()
    };
    let first = report("第一件");
    worker.sync().await.unwrap();
    let instance = Instance::start(
        server.state.storage.clone(),
        server.state.blobs.clone(),
        settings(),
    )
    .await;
    let page = Page::open(&instance.url, "sun").await;
    assert_eq!(page.incident(&first).await.0, "reported");
    let position = server.state.storage.last_seq().await.unwrap();
    drop(page);
    drop(instance);

    // While it is down: a new case, and a step on the first.
    let second = report("第二件");
    worker.sync().await.unwrap();
    let sun = Page::open(&server.url, "sun").await;
    assert_eq!(sun.step(&first, &[("to", "accepted")]).await, 303);

    let instance = Instance::start(
        server.state.storage.clone(),
        server.state.blobs.clone(),
        settings(),
    )
    .await;
    let kept_at = fieldgrid_server::service::replica::get(&instance.state)
        .await
        .unwrap()
        .position();
    assert_eq!(
        kept_at, position,
        "the restarted instance starts where it stood"
    );
    let page = Page::open(&instance.url, "sun").await;
    assert_eq!(page.incident(&first).await.0, "accepted");
    assert_eq!(page.incident(&second).await.0, "reported");
    server.stop().await;
}
