//! One intake for every channel, over real HTTP on SQLite and PostgreSQL: a 12345
//! hotline ticket, a desk intake on the supervisor pages, a resident's public
//! report (with a photo from a phone) and a grid worker's phone report land in
//! one queue; a repeated ticket makes nothing new; routing suggests the unit the
//! published org tree configures; a case escalated to the county can no longer
//! be accepted or closed by the town, and only the dispatched unit's members
//! handle it. Bad hotline calls are refused with nothing stored, and the public
//! page refuses floods.

use fieldgrid_core::incident::Action;
use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::records::{GeoPoint, Incident};
use fieldgrid_server::admin;
use fieldgrid_server::service::intake::create_hotline_key;
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::web::{client, form, multipart, sign_in};
use fieldgrid_tests::{Backend, Device, TestServer};
use serde_json::{Value, json};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A point inside grid `code` of the demo county (the mean of its outline).
fn inside(code: &str) -> GeoPoint {
    let tree = demo::demo_county();
    let ring = &tree.grids.iter().find(|g| g.code == code).unwrap().boundary[0];
    let n = ring.len() as f64;
    GeoPoint {
        lon: ring.iter().map(|p| p[0]).sum::<f64>() / n,
        lat: ring.iter().map(|p| p[1]).sum::<f64>() / n,
    }
}

async fn documents(server: &TestServer) -> i64 {
    server.state.storage.stats().await.unwrap().documents
}

async fn ticket(server: &TestServer, key: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}/v1/hotline/tickets", server.url))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn ticket_progress(server: &TestServer, key: &str, ticket: &str) -> Value {
    client()
        .get(format!("{}/v1/hotline/tickets/{ticket}", server.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn page(server: &TestServer, cookie: &str, path: &str) -> (u16, String) {
    let r = client()
        .get(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn step(
    server: &TestServer,
    cookie: &str,
    csrf: &str,
    id: &str,
    to: &str,
    note: &str,
    assignee: &str,
) -> (u16, String) {
    let r = client()
        .post(format!("{}/ui/incidents/{id}/step", server.url))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", csrf),
            ("to", to),
            ("note", note),
            ("assignee", assignee),
        ]))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn intake_end_to_end(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let town = demo::TOWN;
    let g0 = format!("{}001", demo::village_code(0));
    let g1 = format!("{}001", demo::village_code(1));
    let key = create_hotline_key(&server.state, "12345-donghai")
        .await
        .unwrap();

    // 1. A hotline ticket, then the same ticket again: one incident.
    let at = inside(&g0);
    let t1 = json!({
        "ticket_id": "HL-2026-112900017",
        "category": "dispute.neighbour.noise",
        "description": "楼上邻居每晚装修噪音扰民",
        "urgency": "urgent",
        "address": "安峰村3组",
        "lat": at.lat, "lon": at.lon,
        "caller_name": "张桂兰", "caller_phone": "13851234567",
    });
    let (status, body) = ticket(&server, &key, &t1).await;
    assert_eq!(status, 201, "{body}");
    let hotline_id = body["incident_id"].as_str().unwrap().to_owned();
    let stored = documents(&server).await;
    let (status, again) = ticket(&server, &key, &t1).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["incident_id"], hotline_id.as_str());
    assert_eq!(again["created"], false);
    assert_eq!(
        documents(&server).await,
        stored,
        "a repeated ticket stores nothing"
    );
    let progress = ticket_progress(&server, &key, "HL-2026-112900017").await;
    assert_eq!(progress["stage"], "reported");
    assert_eq!(progress["stage_name"], "待受理");
    assert_eq!(progress["category_name"], "噪音扰民");
    assert!(!progress.to_string().contains("13851234567"), "{progress}");
    // Another hotline's key does not see this ticket.
    let other = create_hotline_key(&server.state, "12345-city")
        .await
        .unwrap();
    let r = client()
        .get(format!(
            "{}/v1/hotline/tickets/HL-2026-112900017",
            server.url
        ))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // The desk's routes are closed to anyone signed out: the page sends them to
    // the login, its data answers 401, and a forged submit stores nothing.
    let before_desk = documents(&server).await;
    let (status, _) = page(&server, "", "/ui/intake").await;
    assert_eq!(status, 303);
    for path in [
        "/ui/api/categories?q=zyrm",
        "/ui/api/places?q=安峰",
        "/ui/api/nearby?lat=34.5&lon=118.7&category=fire",
        "/ui/api/grids",
    ] {
        let (status, body) = page(&server, "", path).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let forged = client()
        .post(format!("{}/ui/intake", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("channel", "phone"),
            ("category", "fire.passage"),
            ("description", "x"),
            ("grid_code", &g0),
        ]))
        .send()
        .await
        .unwrap();
    assert!(
        forged.status().is_redirection() || forged.status() == 401,
        "{}",
        forged.status()
    );
    assert_eq!(documents(&server).await, before_desk);

    // 2. A call taken at the desk.
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        TOWN_SUPERVISOR,
    )
    .await
    .unwrap();
    let (cookie, csrf) = sign_in(&server.url, "sun", "correct horse").await;
    let (status, html) = page(&server, &cookie, "/ui/intake").await;
    assert_eq!(status, 200);
    assert!(html.contains("受理登记"));
    let at1 = inside(&g1);
    let desk = client()
        .post(format!("{}/ui/intake", server.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", &csrf),
            ("channel", "phone"),
            ("category", "market.food_safety.expired"),
            ("description", "超市出售过期牛奶"),
            ("urgency", "normal"),
            ("lat", &at1.lat.to_string()),
            ("lon", &at1.lon.to_string()),
            ("contact_name", "李明"),
            ("contact_phone", "0518-87654321"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        desk.status().as_u16(),
        303,
        "{}",
        desk.text().await.unwrap()
    );
    let location = desk.headers()["location"].to_str().unwrap().to_owned();
    let desk_id = location
        .trim_start_matches("/ui/incidents/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // The desk case's page masks the caller's number; the command centre shows it
    // whole for the call with a POST (never in a URL), a unit's handler may not.
    let (_, html) = page(&server, &cookie, &format!("/ui/incidents/{desk_id}")).await;
    assert!(
        html.contains("051******4321") && !html.contains("0518-87654321"),
        "{html}"
    );
    let reveal = |cookie: String, csrf: String| {
        let url = format!("{}/ui/incidents/{desk_id}/contact", server.url);
        async move {
            let r = client()
                .post(url)
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("csrf", &csrf)]))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = reveal(cookie.clone(), csrf.clone()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("tel:0518-87654321") && html.contains("李明"),
        "{html}"
    );
    let (status, _) = reveal(cookie.clone(), "forged".into()).await;
    assert_eq!(status, 403, "no CSRF token, no number");
    create_web_user(
        &server.state,
        "zhifa",
        "correct horse",
        "supervisor",
        "handler-zhifa",
    )
    .await
    .unwrap();
    let (h_cookie, h_csrf) = sign_in(&server.url, "zhifa", "correct horse").await;
    let (status, html) = reveal(h_cookie, h_csrf).await;
    assert_eq!(status, 403);
    assert!(
        !html.contains("87654321") && html.contains("只有指挥中心"),
        "{html}"
    );

    // 3. A resident's report on the public page, with a phone's photo.
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/fixtures/photos/cmyk-adobe.jpg"
    ))
    .unwrap();
    let (ctype, body) = multipart(
        &[
            ("category", "environment.waste"),
            ("description", "村口垃圾堆放多日无人清运"),
            ("address", "安峰村村口"),
            ("lat", &at.lat.to_string()),
            ("lon", &at.lon.to_string()),
            ("phone", "13912340000"),
            ("name", "王先生"),
        ],
        Some(("photo", &photo)),
    );
    let r = client()
        .post(format!("{}/report", server.url))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let html = r.text().await.unwrap();
    let receipt = html
        .split("id=\"receipt-code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(receipt.len(), 10, "{html}");
    let (status, html) = page(&server, "", &format!("/report/receipt?code={receipt}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("待受理") && html.contains("垃圾处理"),
        "{html}"
    );
    assert!(!html.contains("13912340000") && !html.contains("王先生"));
    let (status, _) = page(&server, "", "/report/receipt?code=ZZZZZZZZZZ").await;
    assert_eq!(status, 404);

    // 4. A grid worker's report from the phone.
    let worker = Device::worker(&server, dir.path(), "worker", &g0).await;
    let phone_id = worker
        .store
        .report_incident(&Incident {
            grid_code: g0.clone(),
            category: "fire.passage".into(),
            description: "楼道堆放杂物堵塞消防通道".into(),
            location: Some(inside(&g0)),
            reporter_id: worker.staff_id.clone(),
            reported_at: now(),
            urgency: Default::default(),
            transitions: vec![],
            resident_id: None,
            satisfaction: None,
            photos: vec![],
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })
        .unwrap();
    worker.sync().await.unwrap();

    // A resident scans a door plate: the page opens with the household's place,
    // and the report lands in its grid.
    let g2 = format!("{}001", demo::village_code(2));
    let mut house = fieldgrid_core::records::Household::new(&g2, "北芹村5组18号", "周海涛");
    house.door_plate = Some(fieldgrid_core::household::new_plate_code());
    let plated = Device::worker(&server, dir.path(), "plated", &g2).await;
    let hid = plated.store.create(&house).unwrap();
    plated.sync().await.unwrap();
    let link = fieldgrid_core::household::plate_link(
        &server.url,
        demo::COUNTY,
        house.door_plate.as_deref().unwrap(),
    );
    assert_eq!(
        plated.store.resolve_door_plate(&link).unwrap(),
        hid,
        "the app reads the plate out of the link"
    );
    let (status, html) = page(&server, "", link.trim_start_matches(&server.url)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("北芹村5组18号") && !html.contains("周海涛"),
        "{html}"
    );
    let payload = link.split("plate=").nth(1).unwrap();
    let (ctype, body) = multipart(
        &[
            ("plate", payload),
            ("category", "urban.facility"),
            ("description", "门口井盖松动"),
            ("phone", "13912340001"),
        ],
        None,
    );
    let r = client()
        .post(format!("{}/report", server.url))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    plated.sync().await.unwrap();
    let plated_queue = plated
        .store
        .incident_queue(now(), Default::default(), false)
        .unwrap();
    assert!(
        plated_queue
            .iter()
            .any(|q| q.channel.as_str() == "public_page" && q.grid_code == g2),
        "the plate's report is in the household's grid"
    );
    // The administrator prints the village's plates, each a link to the page.
    create_web_user(
        &server.state,
        "zhou",
        "correct horse",
        "admin",
        demo::COUNTY_ADMIN,
    )
    .await
    .unwrap();
    let (admin_cookie, _) = sign_in(&server.url, "zhou", "correct horse").await;
    let (status, sheet) = page(
        &server,
        &admin_cookie,
        &format!("/ui/admin/plates/{}", demo::village_code(2)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        sheet.contains("北芹村5组18号") && sheet.contains("<svg"),
        "{sheet}"
    );

    // One queue, every channel, awaiting the same acceptance step.
    let (_, queue) = page(&server, &cookie, "/ui/incidents").await;
    for (id, channel) in [
        (&hotline_id, "hotline"),
        (&desk_id, "phone"),
        (&phone_id, "grid_worker"),
    ] {
        assert!(
            queue.contains(&format!("data-id=\"{id}\"")),
            "{channel} missing"
        );
        assert!(queue.contains(&format!("data-channel=\"{channel}\"")));
    }
    assert!(queue.contains("data-channel=\"public_page\""));
    assert_eq!(
        queue.matches("data-stage=\"reported\"").count(),
        5,
        "{queue}"
    );
    // Contacts are masked on the page.
    let (_, detail) = page(&server, &cookie, &format!("/ui/incidents/{hotline_id}")).await;
    assert!(
        detail.contains("张**") && detail.contains("138****4567"),
        "{detail}"
    );
    assert!(!detail.contains("13851234567"));
    // The worker's phone receives the cases of its grid whatever their channel.
    worker.sync().await.unwrap();
    let on_phone = worker
        .store
        .incident_queue(now(), Default::default(), false)
        .unwrap();
    let hotline_on_phone = on_phone.iter().find(|q| q.id == hotline_id).unwrap();
    assert_eq!(hotline_on_phone.channel.as_str(), "hotline");
    assert_eq!(hotline_on_phone.stage_name, "待受理");

    // Routing: the demo tree sends neighbour disputes to 综治; a county that
    // gives them to the justice office publishes a new tree and is followed.
    let (_, detail) = page(&server, &cookie, &format!("/ui/incidents/{hotline_id}")).await;
    assert!(
        detail.contains(&format!(
            "id=\"routing-suggestion\" data-unit=\"{town}-zongzhi\""
        )),
        "{detail}"
    );
    let mut tree = demo::demo_county();
    tree.version += 1;
    let sifa = tree
        .work_units
        .iter_mut()
        .find(|u| u.code == format!("{town}-sifa"))
        .unwrap();
    sifa.handles.push(fieldgrid_core::org::Handles {
        category: "dispute.neighbour".into(),
        grades: vec![],
    });
    admin::publish(&server.state, &tree).await.unwrap();
    let (_, detail) = page(&server, &cookie, &format!("/ui/incidents/{hotline_id}")).await;
    assert!(
        detail.contains(&format!(
            "id=\"routing-suggestion\" data-unit=\"{town}-sifa\""
        )),
        "{detail}"
    );
    assert!(detail.contains("安峰司法所（建议）"));

    // Escalation: the town sends it up; it can then neither accept nor close it.
    let (status, _) = step(
        &server,
        &cookie,
        &csrf,
        &hotline_id,
        "escalated",
        "涉及县级规划审批",
        "",
    )
    .await;
    assert_eq!(status, 303);
    let (status, html) = step(&server, &cookie, &csrf, &hotline_id, "accepted", "", "").await;
    assert_eq!(status, 409);
    assert!(html.contains("已上报县指挥中心"), "{html}");
    let county = Device::enrol(
        &server,
        &server.url,
        dir.path(),
        "county",
        "county-sup-donghai",
    )
    .await;
    let zrzy = Device::enrol(
        &server,
        &server.url,
        dir.path(),
        "zrzy",
        "handler-county-zrzy",
    )
    .await;
    let wrong = Device::enrol(&server, &server.url, dir.path(), "zhifa", "handler-zhifa").await;
    county.sync().await.unwrap();
    let role = "county_supervisor";
    county
        .store
        .incident_step(&hotline_id, Action::Accept, role, "已受理", None)
        .unwrap();
    let unit = format!("{}-zrzy", demo::COUNTY);
    county
        .store
        .incident_step(&hotline_id, Action::Dispatch, role, "请核查", Some(&unit))
        .unwrap();
    county.sync().await.unwrap();
    // A town platform's handler is not a member of the county unit: refused.
    wrong.sync().await.unwrap();
    wrong
        .store
        .incident_step(
            &hotline_id,
            Action::StartHandling,
            "department_handler",
            "",
            None,
        )
        .unwrap();
    let pushed = wrong.sync().await.unwrap();
    assert_eq!(pushed.rejected, 1, "{pushed:?}");
    zrzy.sync().await.unwrap();
    let h = "department_handler";
    zrzy.store
        .incident_step(&hotline_id, Action::StartHandling, h, "", None)
        .unwrap();
    zrzy.store
        .incident_step(&hotline_id, Action::Finish, h, "已责令停工", None)
        .unwrap();
    assert_eq!(zrzy.sync().await.unwrap().rejected, 0);
    county.sync().await.unwrap();
    county
        .store
        .incident_step(&hotline_id, Action::Verify, role, "", None)
        .unwrap();
    county.sync().await.unwrap();
    let (status, html) = step(&server, &cookie, &csrf, &hotline_id, "closed", "", "").await;
    assert_eq!(status, 409, "the town cannot close a county case");
    assert!(html.contains("已上报县指挥中心"), "{html}");
    let state = county
        .store
        .incident_step(&hotline_id, Action::Close, role, "", None)
        .unwrap();
    assert_eq!(state.stage.as_str(), "closed");
    county.sync().await.unwrap();
    let progress = ticket_progress(&server, &key, "HL-2026-112900017").await;
    assert_eq!(progress["stage_name"], "已结案");
    assert_eq!(progress["unit_name"], "东海县自然资源和规划局");
    assert!(progress.get("follow_up").is_none(), "{progress}");
    // The county's centre calls the resident back; the hotline reads the answer.
    county
        .store
        .incident_transition(
            &hotline_id,
            fieldgrid_core::records::IncidentTransition {
                role: role.into(),
                to: Action::Assess.as_str().into(),
                note: "电话回访".into(),
                answer: Some(fieldgrid_core::records::Satisfaction::Basic),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(county.sync().await.unwrap().rejected, 0);
    let progress = ticket_progress(&server, &key, "HL-2026-112900017").await;
    assert_eq!(progress["stage_name"], "已回访");
    assert_eq!(
        (&progress["follow_up"], &progress["follow_up_name"]),
        (&serde_json::json!("basic"), &serde_json::json!("基本满意"))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_channel_lands_in_one_queue_on_sqlite() {
    intake_end_to_end(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_channel_lands_in_one_queue_on_postgres() {
    intake_end_to_end(Backend::Postgres).await;
}

/// Bad hotline calls: each refused with a reason, none stores anything, and no
/// refusal repeats the personal data it was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_hotline_calls_store_nothing() {
    let server = TestServer::start(Backend::Sqlite).await;
    let key = create_hotline_key(&server.state, "12345-donghai")
        .await
        .unwrap();
    let g0 = format!("{}001", demo::village_code(0));
    let good = json!({
        "ticket_id": "T-1", "category": "dispute.neighbour.noise",
        "description": "噪音", "grid_code": g0, "caller_phone": "13851234567",
    });
    let before = documents(&server).await;
    let send = |auth: Option<&str>, body: Vec<u8>| {
        let mut r = client()
            .post(format!("{}/v1/hotline/tickets", server.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let body = serde_json::to_vec(&good).unwrap();
    assert_eq!(send(None, body.clone()).await.0, 401);
    assert_eq!(send(Some("fgk_not-a-key"), body.clone()).await.0, 401);
    // A device's token or an administrator's is not a hotline key.
    assert_eq!(send(Some(&server.admin_token), body.clone()).await.0, 401);
    let revoked = create_hotline_key(&server.state, "old").await.unwrap();
    assert!(
        server
            .state
            .storage
            .revoke_intake_key("old", now())
            .await
            .unwrap()
    );
    assert_eq!(send(Some(&revoked), body.clone()).await.0, 401);
    let (status, text) = send(Some(&key), b"{\"ticket_id\": \"T-1\", ".to_vec()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("not valid JSON"), "{text}");
    let (status, text) = send(
        Some(&key),
        br#"{"ticket_id": "T-1", "category": "x"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("missing field `description`"), "{text}");
    let mut typed = good.clone();
    typed["lat"] = json!("13851234567");
    typed["lon"] = json!(1.0);
    let (status, text) = send(Some(&key), serde_json::to_vec(&typed).unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("wrong type") && !text.contains("13851234567"),
        "{text}"
    );
    let huge = json!({"ticket_id": "T-2", "category": "other.general", "description": "啊".repeat(100_000), "grid_code": g0});
    let (status, _) = send(Some(&key), serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!(status, 413);
    for (field, value, why) in [
        ("category", json!("no.such.code"), "不在类别目录中"),
        (
            "caller_phone",
            json!("1385123"),
            "不是有效的手机或固定电话号码",
        ),
        ("grid_code", json!("999999999999999"), "网格编码不存在"),
        ("ticket_id", json!("T 1; DROP"), "工单编号"),
        ("description", json!("  "), "请填写事件描述"),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let (status, text) = send(Some(&key), serde_json::to_vec(&bad).unwrap()).await;
        assert_eq!(status, 422, "{field}: {text}");
        assert!(text.contains(why), "{field}: {text}");
        assert!(!text.contains("1385123"), "{text}");
    }
    let mut nowhere = good.clone();
    nowhere.as_object_mut().unwrap().remove("grid_code");
    nowhere["address"] = json!("不存在的地址");
    let (status, text) = send(Some(&key), serde_json::to_vec(&nowhere).unwrap()).await;
    assert_eq!(status, 422);
    assert!(text.contains("无法确定事件所在网格"), "{text}");
    assert_eq!(documents(&server).await, before, "nothing stored");
    // The good ticket still goes in afterwards: no refusal claimed its id.
    let (status, _) = send(Some(&key), body).await;
    assert_eq!(status, 201);
    assert_eq!(documents(&server).await, before + 1);
    server.stop().await;
}

/// The public page takes a household's few reports and refuses a flood, per
/// phone and per client address; what it refuses is not stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_public_page_refuses_floods() {
    let server = TestServer::start(Backend::Sqlite).await;
    let at = inside(&format!("{}001", demo::village_code(2)));
    let report = |phone: String| {
        let (ctype, body) = multipart(
            &[
                ("category", "urban.street"),
                ("description", "路灯不亮"),
                ("lat", &at.lat.to_string()),
                ("lon", &at.lon.to_string()),
                ("phone", &phone),
            ],
            None,
        );
        let url = format!("{}/report", server.url);
        async move {
            let r = client()
                .post(url)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let before = documents(&server).await;
    for _ in 0..5 {
        assert_eq!(report("13900000001".into()).await.0, 201);
    }
    let (status, html) = report("13900000001".into()).await;
    assert_eq!(status, 429, "six from one phone in a day");
    assert!(html.contains("提交过于频繁"));
    for n in 0..5 {
        assert_eq!(report(format!("1390000001{n}")).await.0, 201);
    }
    assert_eq!(
        report("13900000099".into()).await.0,
        429,
        "eleven from one address in an hour"
    );
    assert_eq!(documents(&server).await, before + 10);
    // A bad report is refused with the reason, the form kept.
    let (ctype, body) = multipart(
        &[
            ("category", "urban.street"),
            ("description", "x"),
            ("phone", "12"),
        ],
        None,
    );
    let r = client()
        .post(format!("{}/report", server.url))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429, "still over the address limit");
    server.stop().await;
}
