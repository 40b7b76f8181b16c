//! A load balancer on loopback, as a county puts in front of its server
//! instances: every request goes to an instance picked at random, and a request
//! whose instance refuses the connection (it died) goes to another, as a reverse
//! proxy's "next upstream on connect error" does. A request already sent to an
//! instance that dies mid-way fails, as it would behind a real balancer; the
//! phone retries it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use rand::seq::SliceRandom;

/// Requests served through each instance, and requests refused by all.
#[derive(Debug, Default)]
pub struct Spread {
    /// Per instance, in the order given to [`Balancer::start`].
    pub served: Vec<AtomicU64>,
    /// Per instance, requests sent and not yet answered.
    pub in_flight: Vec<AtomicU64>,
    /// Requests whose instance failed after taking them (answered 502).
    pub cut: AtomicU64,
    /// Requests that found no live instance.
    pub unavailable: AtomicU64,
}

/// The balancer: its URL and how it spread the requests.
pub struct Balancer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// How requests were spread.
    pub spread: Arc<Spread>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

struct Upstreams {
    urls: Vec<String>,
    http: reqwest::Client,
    spread: Arc<Spread>,
}

impl Balancer {
    /// Starts a balancer over instances at `urls` (`http://host:port`).
    pub async fn start(urls: Vec<String>) -> Balancer {
        let spread = Arc::new(Spread {
            served: urls.iter().map(|_| AtomicU64::new(0)).collect(),
            in_flight: urls.iter().map(|_| AtomicU64::new(0)).collect(),
            cut: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
        });
        let upstreams = Arc::new(Upstreams {
            urls,
            // Bodies pass through as they are: no decompression, no redirects.
            http: reqwest::Client::builder()
                .no_gzip()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            spread: spread.clone(),
        });
        let router = axum::Router::new().fallback(forward).with_state(upstreams);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // The server's own HTTP front: idle kept-alive connections from phones
        // are closed after a while, as a proxy's keep-alive timeout does.
        let limits = fieldgrid_server::http::HttpLimits {
            max_connections: 16_384,
            header_timeout: std::time::Duration::from_secs(15),
            request_timeout: std::time::Duration::from_secs(300),
        };
        tokio::spawn(async move {
            let metrics = Default::default();
            fieldgrid_server::http::serve(listener, router, limits, metrics, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Balancer {
            url: format!("http://{addr}"),
            spread,
            shutdown: Some(tx),
        }
    }

    /// Requests instance `i` holds right now.
    pub fn in_flight(&self, i: usize) -> u64 {
        self.spread.in_flight[i].load(Ordering::SeqCst)
    }

    /// Requests cut by an instance that failed while holding them.
    pub fn cut(&self) -> u64 {
        self.spread.cut.load(Ordering::Relaxed)
    }

    /// Requests each instance served so far.
    pub fn served(&self) -> Vec<u64> {
        self.spread
            .served
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect()
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Headers that belong to one hop, not to the request.
const HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in HOP {
        out.remove(name);
    }
    out
}

async fn forward(State(up): State<Arc<Upstreams>>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let Ok(body): Result<Bytes, _> = axum::body::to_bytes(body, 64 << 20).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut order: Vec<usize> = (0..up.urls.len()).collect();
    order.shuffle(&mut rand::rng());
    for i in order {
        up.spread.in_flight[i].fetch_add(1, Ordering::SeqCst);
        let answered = exchange(&up, i, &parts, &path, &body).await;
        up.spread.in_flight[i].fetch_sub(1, Ordering::SeqCst);
        match answered {
            Some(Ok(response)) => {
                up.spread.served[i].fetch_add(1, Ordering::Relaxed);
                return response;
            }
            Some(Err(())) => {
                up.spread.cut.fetch_add(1, Ordering::Relaxed);
                return status(StatusCode::BAD_GATEWAY);
            }
            // Nothing reached this instance: try the next.
            None => {}
        }
    }
    up.spread.unavailable.fetch_add(1, Ordering::Relaxed);
    status(StatusCode::SERVICE_UNAVAILABLE)
}

/// Sends a request to instance `i`: `None` when it refused the connection,
/// `Err` when it failed after taking the request.
async fn exchange(
    up: &Upstreams,
    i: usize,
    parts: &axum::http::request::Parts,
    path: &str,
    body: &Bytes,
) -> Option<Result<Response<Body>, ()>> {
    let sent = up
        .http
        .request(parts.method.clone(), format!("{}{path}", up.urls[i]))
        .headers(end_to_end(&parts.headers))
        .body(body.clone())
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(e) if e.is_connect() => return None,
        Err(_) => return Some(Err(())),
    };
    let code = answer.status();
    let headers = end_to_end(answer.headers());
    let Ok(bytes) = answer.bytes().await else {
        return Some(Err(()));
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = code;
    *response.headers_mut() = headers;
    Some(Ok(response))
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = code;
    response
}
