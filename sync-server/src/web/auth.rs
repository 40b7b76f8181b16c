//! Logins of supervisors and administrators: Argon2id passwords, sessions in the
//! storage (a cookie holding a random token; only its hash is stored), and a CSRF
//! token per session checked on every action.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{escape, layout_bare};
use crate::AppState;
use crate::storage::{WebSession, WebUser};

const COOKIE: &str = "fg_session";
/// Sessions last a working day.
const SESSION_S: i64 = 12 * 3600;

/// Hashes a password for storage.
pub fn hash_password(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 hashing of a password does not fail")
        .to_string()
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Creates or replaces a web account (`role`: `supervisor` or `admin`) for an
/// org-tree person.
pub async fn create_web_user(
    state: &AppState,
    username: &str,
    password: &str,
    role: &str,
    staff_id: &str,
) -> Result<(), String> {
    if !matches!(role, "supervisor" | "admin") {
        return Err(format!("role must be supervisor or admin, not {role:?}"));
    }
    if password.chars().count() < 8 {
        return Err("a password needs at least 8 characters".into());
    }
    let tree = state.org_tree().await.map_err(|e| e.to_string())?;
    if !tree.staff.iter().any(|s| s.id == staff_id) {
        return Err(format!("staff {staff_id} is not in the org tree"));
    }
    let user = WebUser {
        username: username.to_owned(),
        password_hash: hash_password(password),
        role: role.to_owned(),
        staff_id: staff_id.to_owned(),
        created_at: crate::now(),
    };
    state
        .storage
        .put_web_user(&user)
        .await
        .map_err(|e| e.to_string())
}

/// The signed-in user of a page request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub user: WebUser,
    /// The session (its CSRF token goes into forms).
    pub session: WebSession,
}

impl SignedIn {
    /// Whether the user may administer (approve devices...).
    pub fn is_admin(&self) -> bool {
        self.user.role == "admin"
    }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Not signed in: pages redirect to the login, scripts get 401.
pub struct LoginRequired(bool);

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        if self.0 {
            (StatusCode::UNAUTHORIZED, "sign in first").into_response()
        } else {
            Redirect::to("/ui/login").into_response()
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = LoginRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/ui/api/");
        let token = cookie_value(&parts.headers).ok_or(LoginRequired(api))?;
        let session = state
            .storage
            .web_session(&token_hash(&token), crate::now())
            .await
            .ok()
            .flatten()
            .ok_or(LoginRequired(api))?;
        let user = state
            .storage
            .web_user(&session.username)
            .await
            .ok()
            .flatten()
            .ok_or(LoginRequired(api))?;
        Ok(SignedIn { user, session })
    }
}

/// Checks an action's CSRF token and, when the browser sends one, its Origin.
pub fn check_csrf(
    signed: &SignedIn,
    token: &str,
    headers: &HeaderMap,
) -> Result<(), (StatusCode, &'static str)> {
    let same = blake3::hash(token.as_bytes()) == blake3::hash(signed.session.csrf.as_bytes());
    let origin_ok = match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(o), Some(h)) => o
            .to_str()
            .ok()
            .zip(h.to_str().ok())
            .is_some_and(|(o, h)| o.split_once("://").is_some_and(|(_, rest)| rest == h)),
        _ => true,
    };
    if same && origin_ok {
        Ok(())
    } else {
        Err((
            StatusCode::FORBIDDEN,
            "the form is stale or comes from another site; reload the page",
        ))
    }
}

/// `GET /ui/login`.
pub async fn login_page() -> Response {
    login_form(None)
}

fn login_form(error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!(r#"<p class="error" id="login-error">{}</p>"#, escape(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<form class="login" method="post" action="/ui/login">
  <h1>网格化社会治理 · 指挥中心</h1>
  {error}
  <label>用户名 <input name="username" id="username" autocomplete="username" required></label>
  <label>密码 <input name="password" id="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" id="login-button">登录</button>
</form>"#
    );
    layout_bare("登录", &body).into_response()
}

/// The login form.
#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

fn secure_flag(headers: &HeaderMap) -> &'static str {
    // Browsers on the same machine talk plain HTTP to 127.0.0.1; everywhere else
    // the server is behind TLS and the cookie must never travel in the clear.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        ""
    } else {
        "; Secure"
    }
}

/// Failed logins per user name: after [`MAX_FAILURES`] within [`LOCKOUT_S`], that
/// name is locked for [`LOCKOUT_S`]. Kept per server instance (a guard against
/// guessing, not state other instances need).
static FAILURES: std::sync::Mutex<Vec<(String, i64)>> = std::sync::Mutex::new(Vec::new());
const MAX_FAILURES: usize = 5;
const LOCKOUT_S: i64 = 15 * 60;

fn locked(username: &str, now: i64) -> bool {
    let mut f = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
    f.retain(|(_, at)| now - at < LOCKOUT_S);
    f.iter().filter(|(u, _)| u == username).count() >= MAX_FAILURES
}

fn failed(username: &str, now: i64) {
    let mut f = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
    f.push((username.to_owned(), now));
    // Bound the memory a flood of made-up names could take.
    let excess = f.len().saturating_sub(100_000);
    f.drain(..excess);
}

/// `POST /ui/login`.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Login>,
) -> Response {
    if locked(&form.username, crate::now()) {
        tracing::warn!("web login locked after repeated failures");
        return login_form(Some("尝试次数过多，请 15 分钟后再试"));
    }
    let user = state.storage.web_user(&form.username).await.ok().flatten();
    // Verify against a dummy hash for unknown names too, so timing does not tell.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a password of anyone"));
    let ok = verify(
        &form.password,
        user.as_ref()
            .map_or(dummy.as_str(), |u| u.password_hash.as_str()),
    ) && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        failed(&form.username, crate::now());
        tracing::info!("web login refused");
        return login_form(Some("用户名或密码不正确"));
    };
    let token = hex::encode(rand::random::<[u8; 32]>());
    let session = WebSession {
        id_hash: token_hash(&token),
        username: user.username.clone(),
        csrf: hex::encode(rand::random::<[u8; 16]>()),
        expires_at: crate::now() + SESSION_S,
    };
    if state.storage.create_web_session(&session).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "could not start a session").into_response();
    }
    tracing::info!(user = %user.username, role = %user.role, "web login");
    let cookie = format!(
        "{COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={SESSION_S}{}",
        secure_flag(&headers)
    );
    let mut response = Redirect::to("/ui/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("ASCII cookie"),
    );
    response
}

/// The logout form.
#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// `POST /ui/logout`.
pub async fn logout(
    State(state): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(e) = check_csrf(&signed, &f.csrf, &headers) {
        return e.into_response();
    }
    let _ = state
        .storage
        .delete_web_session(&signed.session.id_hash)
        .await;
    let mut response = Redirect::to("/ui/login").into_response();
    let gone = format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&gone).expect("ASCII cookie"),
    );
    response
}
