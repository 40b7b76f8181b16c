//! Prometheus metrics: requests, latency, sync bytes and documents, devices. One
//! registry per server instance (no process-global state).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::storage::StorageStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirectionLabels {
    direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

/// The HTTP front's connections: open now, and those the connection cap closed.
/// Clones count into the same metrics.
#[derive(Debug, Clone, Default)]
pub struct ConnectionMetrics {
    /// Connections open now.
    pub open: Gauge,
    /// Idle kept-alive connections closed to make room at the cap.
    pub idle_closed: Counter,
    /// New connections turned away at the cap (every connection busy).
    pub turned_away: Counter,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    sync_bytes: Family<DirectionLabels, Counter>,
    sync_docs: Family<DirectionLabels, Counter>,
    push_rejections: Counter,
    devices: Family<StatusLabels, Gauge>,
    documents: Gauge,
    last_seq: Gauge,
    /// Live positions received from phones.
    pub live_positions: Counter,
    /// Live events sent to open pages.
    pub live_events_sent: Counter,
    /// The HTTP front's connections (given to [`crate::http::serve`]).
    pub connections: ConnectionMetrics,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("fieldgrid");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let sync_bytes = Family::<DirectionLabels, Counter>::default();
        let sync_docs = Family::<DirectionLabels, Counter>::default();
        let push_rejections = Counter::default();
        let devices = Family::<StatusLabels, Gauge>::default();
        let documents = Gauge::default();
        let last_seq = Gauge::default();
        let live_positions = Counter::default();
        let live_events_sent = Counter::default();
        let connections = ConnectionMetrics::default();
        registry.register(
            "http_connections_open",
            "HTTP connections open now",
            connections.open.clone(),
        );
        registry.register(
            "http_connections_idle_closed",
            "Idle kept-alive connections closed to make room at the connection cap",
            connections.idle_closed.clone(),
        );
        registry.register(
            "http_connections_turned_away",
            "New connections turned away at the connection cap, every connection busy",
            connections.turned_away.clone(),
        );
        registry.register(
            "live_positions",
            "Live positions received from patrolling phones",
            live_positions.clone(),
        );
        registry.register(
            "live_events_sent",
            "Live events sent to open pages (positions and new reports)",
            live_events_sent.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "sync_bytes",
            "Sync message body bytes, received and sent",
            sync_bytes.clone(),
        );
        registry.register(
            "sync_documents",
            "Documents pushed and pulled",
            sync_docs.clone(),
        );
        registry.register(
            "sync_push_rejections",
            "Pushed documents refused",
            push_rejections.clone(),
        );
        registry.register("devices", "Device accounts by status", devices.clone());
        registry.register("documents", "Stored documents", documents.clone());
        registry.register(
            "change_sequence",
            "The last change sequence number",
            last_seq.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            sync_bytes,
            sync_docs,
            push_rejections,
            devices,
            documents,
            last_seq,
            live_positions,
            live_events_sent,
            connections,
        }
    }
}

impl Metrics {
    /// Counts one sync round's bytes and documents.
    pub fn sync_round(
        &self,
        bytes_in: usize,
        bytes_out: usize,
        pushed: usize,
        pulled: usize,
        rejected: usize,
    ) {
        self.sync_bytes
            .get_or_create(&DirectionLabels {
                direction: "received",
            })
            .inc_by(bytes_in as u64);
        self.sync_bytes
            .get_or_create(&DirectionLabels { direction: "sent" })
            .inc_by(bytes_out as u64);
        self.sync_docs
            .get_or_create(&DirectionLabels {
                direction: "pushed",
            })
            .inc_by(pushed as u64);
        self.sync_docs
            .get_or_create(&DirectionLabels {
                direction: "pulled",
            })
            .inc_by(pulled as u64);
        self.push_rejections.inc_by(rejected as u64);
    }

    /// Renders the text exposition format, with storage counts refreshed.
    pub fn render(&self, stats: &StorageStats) -> String {
        for (status, n) in &stats.devices {
            self.devices
                .get_or_create(&StatusLabels {
                    status: status.as_str(),
                })
                .set(*n);
        }
        self.documents.set(stats.documents);
        self.last_seq.set(stats.last_seq);
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Middleware counting every request by matched route and status, with latency.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let response = next.run(request).await;
    let metrics: &Arc<Metrics> = &state.metrics;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(start.elapsed().as_secs_f64());
    response
}
