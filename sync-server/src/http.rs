//! The HTTP front: the accept loop with a connection cap (idle connections closed
//! first to make room), header-read and idle timeouts and graceful shutdown; body
//! and request time limits; the client address (for throttling); and the security
//! headers every answer carries.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tower::ServiceExt;

use crate::AppState;
use crate::connections::Connections;
use crate::metrics::ConnectionMetrics;

/// Limits of the HTTP front.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Connections served at once; more are closed on accept.
    pub max_connections: usize,
    /// Time a client gets to send a request's headers, and to start the next request
    /// on a kept-alive connection.
    pub header_timeout: Duration,
    /// Time a request (its body included) gets from headers to answer.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(120),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open
/// connections finish their requests.
///
/// At the connection cap, the oldest connections kept alive idle between
/// requests are closed to make room (a phone that synced a minute ago does not
/// hold a slot a syncing phone needs); only when every connection is busy is a
/// new one turned away. `metrics` counts the open connections and what the cap
/// closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: HttpLimits,
    metrics: ConnectionMetrics,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let connections = Arc::new(Connections::default());
    // Idle connections closed at once when the cap is reached: a few, so that the
    // next arrivals find room too.
    let shed = (limits.max_connections / 16).max(1);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout)
        .max_concurrent_streams(64);
    let router = router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ));
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            // Full: close idle kept-alive connections and take the first slot
            // they free (they close at once); if none is idle, turn this one away.
            Err(_) => {
                let closed = connections.close_idle(shed);
                metrics.idle_closed.inc_by(closed as u64);
                let freed = if closed == 0 {
                    None
                } else {
                    tokio::time::timeout(Duration::from_millis(250), slots.clone().acquire_owned())
                        .await
                        .ok()
                        .and_then(Result::ok)
                };
                let Some(slot) = freed else {
                    metrics.turned_away.inc();
                    tracing::warn!(
                        idle_closed = closed,
                        "connection cap reached and no slot freed; connection closed"
                    );
                    continue;
                };
                slot
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let (id, conn) = connections.opened();
        metrics.open.inc();
        let tracked = conn.clone();
        let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            tracked.request_started();
            let answer = router.clone().oneshot(req.map(axum::body::Body::new));
            let tracked = tracked.clone();
            async move {
                let response = answer.await;
                tracked.request_answered();
                response
            }
        });
        let served = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connections = connections.clone();
        let open = metrics.open.clone();
        tokio::spawn(async move {
            tokio::pin!(served);
            tokio::select! {
                _ = served.as_mut() => {}
                () = conn.close_requested() => {
                    served.as_mut().graceful_shutdown();
                    let _ = served.await;
                }
            }
            connections.closed(id);
            open.dec();
            drop(slot);
        });
    }
    // Every connection finishes what it is answering and closes; the last one to
    // end gives back the last slot.
    connections.close_all();
    let _ = slots.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

/// The client's address: the peer, or the last `X-Forwarded-For` entry when the
/// server is configured to sit behind a proxy that sets it. `unknown` without one.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.settings.trust_forwarded_for
            && let Some(last) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| !s.is_empty())
        {
            return Ok(ClientAddr(last.to_owned()));
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

/// The content security policy of the pages: scripts and styles only from the
/// server's own files, no inline script, no framing, forms only to the server.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every answer: no sniffing, no framing, no referrer
/// beyond the origin, the CSP on pages, and `no-store` on everything under `/ui`
/// and `/v1` (personal data must not sit in shared or browser caches), except the
/// static assets.
pub async fn security_headers(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    if !path.starts_with("/ui/assets/") {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}
