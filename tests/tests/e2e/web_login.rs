//! The supervisor pages' login over real HTTP: a session cookie that opens the
//! pages, refused passwords, the lockout after repeated failures, CSRF on actions,
//! and pages closed to anyone signed out.

use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::web::{client, form};
use fieldgrid_tests::{Backend, TestServer};

async fn login(
    server: &TestServer,
    user: &str,
    password: &str,
) -> (reqwest::StatusCode, Option<String>, String) {
    let r = client()
        .post(format!("{}/ui/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("username", user), ("password", password)]))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, cookie, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_lockout_and_csrf() {
    let server = TestServer::start(Backend::Sqlite).await;
    create_web_user(
        &server.state,
        "wang",
        "correct horse",
        "supervisor",
        "sup-anfeng",
    )
    .await
    .unwrap();
    assert!(
        create_web_user(&server.state, "x", "short", "supervisor", "sup-anfeng")
            .await
            .is_err()
    );
    assert!(
        create_web_user(&server.state, "x", "long enough", "supervisor", "nobody")
            .await
            .is_err()
    );

    // Signed out: pages redirect to the login, the map data is 401.
    let r = client()
        .get(format!("{}/ui/incidents", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let r = client()
        .get(format!("{}/ui/api/map", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);

    // A good login sets an HttpOnly, SameSite=Strict cookie that opens the pages.
    let (status, cookie, _) = login(&server, "wang", "correct horse").await;
    assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
    let cookie = cookie.expect("a session cookie");
    let page = client()
        .get(format!("{}/ui/incidents", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // Logging out needs the session's CSRF token.
    let forged = client()
        .post(format!("{}/ui/logout", server.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", "forged")]))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), reqwest::StatusCode::FORBIDDEN);
    let out = client()
        .post(format!("{}/ui/logout", server.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", csrf.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), reqwest::StatusCode::SEE_OTHER);
    let after = client()
        .get(format!("{}/ui/incidents", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        reqwest::StatusCode::SEE_OTHER,
        "the session ended"
    );

    // Five wrong passwords lock the name, even for the right one afterwards.
    for _ in 0..5 {
        let (_, cookie, body) = login(&server, "wang", "guess").await;
        assert!(cookie.is_none());
        assert!(body.contains("用户名或密码不正确"));
    }
    let (_, cookie, body) = login(&server, "wang", "correct horse").await;
    assert!(cookie.is_none(), "locked");
    assert!(body.contains("尝试次数过多"));
    server.stop().await;
}
