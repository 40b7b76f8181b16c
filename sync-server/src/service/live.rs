//! Live events for the command centre's open pages: patrolling workers'
//! positions (sent by the phones about once a minute) and new reports, pushed to
//! each page over server-sent events, each page seeing only its own area.
//!
//! One process (SQLite): events go straight to the instance's [`Hub`]. Several
//! instances on PostgreSQL: an event is sent with `NOTIFY fieldgrid_live`, and
//! every instance with an open page listens on one dedicated connection and
//! passes what arrives to its hub; no other service is involved.

use std::sync::Arc;

use fieldgrid_core::protocol::PositionUpdate;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast};

use super::{Caller, ServiceError};
use crate::AppState;
use crate::storage::LivePosition;

/// How far a position's time may lie from the server's clock (seconds): a fix
/// older is stale, one from the future is a wrong clock.
pub const POSITION_WINDOW_S: (i64, i64) = (600, 120);

/// How long a position shows on the map after it was taken (seconds).
pub const POSITION_SHOWN_S: i64 = 15 * 60;

/// Something an open page may want at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A patrolling worker's latest position.
    Position(LivePosition),
    /// A new report (from a phone, the hotline, the desk or the public page).
    Report {
        /// The incident.
        incident: String,
        /// Its grid.
        grid_code: String,
        /// Its category code.
        category: String,
        /// Its channel code.
        channel: String,
        /// When reported, unix seconds.
        at: i64,
    },
}

impl LiveEvent {
    /// The grid the event belongs to (what decides who sees it).
    pub fn grid(&self) -> &str {
        match self {
            LiveEvent::Position(p) => &p.grid_code,
            LiveEvent::Report { grid_code, .. } => grid_code,
        }
    }
}

/// The instance's events, for its open pages.
pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    listening: OnceCell<()>,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: broadcast::channel(4096).0,
            listening: OnceCell::new(),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

impl Hub {
    /// Every event from now on (a slow page skips what it lagged behind on).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// Pages open on this instance.
    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Ends every open page's stream (the server is shutting down: open event
    /// streams would otherwise hold it for its whole grace period). The pages
    /// reconnect to another instance, or to this one when it is back.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Hub::close`] was called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }
}

/// Sends an event to every open page of every instance.
pub async fn publish(state: &AppState, event: LiveEvent) {
    if state.storage.shares_events() {
        match serde_json::to_string(&event) {
            Ok(json) => {
                if let Err(e) = state.storage.notify_live(&json).await {
                    tracing::warn!(error = %e, "a live event was not sent");
                }
            }
            Err(e) => tracing::warn!(error = %e, "a live event was not encoded"),
        }
    } else {
        let _ = state.live.tx.send(Arc::new(event));
    }
}

/// Starts this instance's listener on the database, once (when a page first
/// subscribes); nothing for a backend that does not share events.
pub async fn ensure_listening(state: &AppState) -> Result<(), ServiceError> {
    let hub = state.live.clone();
    let storage = state.storage.clone();
    hub.listening
        .get_or_try_init(|| async move {
            if let Some(mut rx) = storage.listen_live().await? {
                let hub = state.live.clone();
                tokio::spawn(async move {
                    while let Some(json) = rx.recv().await {
                        match serde_json::from_str::<LiveEvent>(&json) {
                            Ok(e) => {
                                let _ = hub.tx.send(Arc::new(e));
                            }
                            Err(e) => tracing::warn!(error = %e, "an unreadable live event"),
                        }
                    }
                    tracing::warn!("the live-events listener stopped");
                });
            }
            Ok::<(), ServiceError>(())
        })
        .await?;
    Ok(())
}

/// Records a phone's live position: the caller's own, in a grid of their area,
/// taken within [`POSITION_WINDOW_S`] of now; then tells the open pages.
pub async fn record_position(
    state: &AppState,
    caller: &Caller,
    update: PositionUpdate,
) -> Result<(), ServiceError> {
    caller.check(&update.grid)?;
    let now = crate::now();
    if update.at < now - POSITION_WINDOW_S.0 || update.at > now + POSITION_WINDOW_S.1 {
        return Err(ServiceError::Refused(
            "the position is stale or the phone's clock is wrong; it was not kept".into(),
        ));
    }
    let position = LivePosition {
        staff_id: caller.staff.clone(),
        grid_code: update.grid,
        lat_e6: update.lat_e6,
        lon_e6: update.lon_e6,
        accuracy_m: i32::from(update.accuracy_m),
        at: update.at,
    };
    state.storage.put_position(&position).await?;
    state.metrics.live_positions.inc();
    publish(state, LiveEvent::Position(position)).await;
    Ok(())
}

/// The positions an open page starts from: those in the caller's area taken in
/// the last [`POSITION_SHOWN_S`].
pub async fn positions(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<LivePosition>, ServiceError> {
    Ok(state
        .storage
        .live_positions(crate::now() - POSITION_SHOWN_S)
        .await?
        .into_iter()
        .filter(|p| caller.sees(&p.grid_code))
        .collect())
}
