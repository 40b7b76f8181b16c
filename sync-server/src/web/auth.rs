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

use maud::html;

use super::page::layout_bare;
use crate::AppState;
use crate::http::ClientAddr;
use crate::service::{sessions, throttle};
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
    sessions::put_user(state, &user)
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
        let (session, user) = sessions::signed_in(state, &token_hash(&token))
            .await
            .ok()
            .flatten()
            .ok_or(LoginRequired(api))?;
        Ok(SignedIn { user, session })
    }
}

/// A page action's form, taken only from a signed-in user whose session's CSRF
/// token it carries (field `csrf`) and, when the browser names one, from this
/// server's origin. Every page action takes its form through this extractor, so
/// none can forget the check. `LIMIT` is the largest body taken (64 KB unless a
/// form carries long text, such as a knowledge entry).
pub struct CsrfForm<T, const LIMIT: usize = 65_536> {
    /// Who sent it.
    pub signed: SignedIn,
    /// The form, less its `csrf` field.
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: serde::de::DeserializeOwned + Send, const LIMIT: usize> axum::extract::FromRequest<AppState>
    for CsrfForm<T, LIMIT>
{
    type Rejection = Response;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let signed = SignedIn::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, LIMIT)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "表单过大").into_response())?;
        let token = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .map(|f| f.csrf)
            .unwrap_or_default();
        check_csrf(&signed, &token, &parts.headers).map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|_| (StatusCode::BAD_REQUEST, "表单内容无效").into_response())?;
        Ok(CsrfForm { signed, form })
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
    let body = html! {
        form.login method="post" action="/ui/login" {
            h1 { "网格化社会治理 · 指挥中心" }
            @if let Some(e) = error { p.error #login-error { (e) } }
            label { "用户名 " input name="username" #username autocomplete="username" required; }
            label { "密码 " input name="password" #password type="password" autocomplete="current-password" required; }
            button type="submit" #login-button { "登录" }
        }
    };
    layout_bare("登录", body).into_response()
}

/// The login form.
#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

fn secure_flag(state: &AppState) -> &'static str {
    // From configuration, never from the request: a proxy forwarding any Host still
    // gets Secure cookies. Only an explicit plain-HTTP loopback setting drops it.
    if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// `POST /ui/login`.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Form(form): Form<Login>,
) -> Response {
    match throttle::login_allowed(&state, &form.username, &address).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("web login locked after repeated failures");
            return (
                StatusCode::TOO_MANY_REQUESTS,
                login_form(Some("尝试次数过多，请 15 分钟后再试")),
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "login throttle unavailable");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "服务器暂时不可用，请稍后再试",
            )
                .into_response();
        }
    }
    let user = sessions::user(&state, &form.username).await.ok().flatten();
    // Verify against a dummy hash for unknown names too, so timing does not tell.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a password of anyone"));
    let ok = verify(
        &form.password,
        user.as_ref()
            .map_or(dummy.as_str(), |u| u.password_hash.as_str()),
    ) && user.is_some();
    let Some(user) = user.filter(|_| ok) else {
        if let Err(e) = throttle::login_failed(&state, &form.username, &address).await {
            tracing::error!(error = %e, "a failed login could not be counted");
        }
        tracing::info!("web login refused");
        return (
            StatusCode::UNAUTHORIZED,
            login_form(Some("用户名或密码不正确")),
        )
            .into_response();
    };
    let _ = throttle::login_succeeded(&state, &user.username).await;
    let token = hex::encode(rand::random::<[u8; 32]>());
    let session = WebSession {
        id_hash: token_hash(&token),
        username: user.username.clone(),
        csrf: hex::encode(rand::random::<[u8; 16]>()),
        expires_at: crate::now() + SESSION_S,
    };
    if sessions::start(&state, &session).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "could not start a session").into_response();
    }
    tracing::info!(user = %user.username, role = %user.role, "web login");
    let cookie = format!(
        "{COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={SESSION_S}{}",
        secure_flag(&state)
    );
    let mut response = Redirect::to("/ui/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("ASCII cookie"),
    );
    response
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /ui/logout`.
pub async fn logout(
    State(state): State<AppState>,
    CsrfForm { signed, .. }: CsrfForm<Empty>,
) -> Response {
    let _ = sessions::end(&state, &signed.session.id_hash).await;
    let mut response = Redirect::to("/ui/login").into_response();
    let gone = format!(
        "{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure_flag(&state)
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&gone).expect("ASCII cookie"),
    );
    response
}
