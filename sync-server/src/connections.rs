//! The open connections of the HTTP front: which ones sit idle between requests,
//! so that at the connection cap the oldest idle ones are closed to make room for
//! a new phone instead of the new phone being turned away, and so that shutdown
//! can ask every one of them to finish.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// One open connection.
#[derive(Debug, Default)]
pub struct Connection {
    /// Requests answered on it.
    answered: AtomicU64,
    /// Requests being handled on it now.
    in_flight: AtomicUsize,
    /// Asked to close already.
    closing: AtomicBool,
    /// Wakes its task to close it gracefully (an idle connection closes at once; a
    /// busy one after the answer it is giving).
    close: Notify,
}

impl Connection {
    /// A request starts on this connection.
    pub fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    /// A request on this connection was answered.
    pub fn request_answered(&self) {
        self.answered.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Resolves when the connection is asked to close.
    pub async fn close_requested(&self) {
        self.close.notified().await;
    }

    /// Kept alive between requests: answered at least one, handling none.
    fn idle(&self) -> bool {
        self.answered.load(Ordering::SeqCst) > 0 && self.in_flight.load(Ordering::SeqCst) == 0
    }

    fn ask_to_close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.close.notify_one();
    }
}

/// Every open connection, oldest first.
#[derive(Debug, Default)]
pub struct Connections {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<Connection>>>,
}

impl Connections {
    /// Registers a new connection; [`Connections::closed`] with the id removes it.
    pub fn opened(&self) -> (u64, Arc<Connection>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Connection::default());
        self.lock().insert(id, conn.clone());
        (id, conn)
    }

    /// The connection `id` has ended.
    pub fn closed(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Asks up to `n` of the oldest connections idle between requests to close;
    /// returns how many were asked. A connection asked before is not counted again.
    pub fn close_idle(&self, n: usize) -> usize {
        let open = self.lock();
        let mut asked = 0;
        for conn in open.values() {
            if asked == n {
                break;
            }
            if conn.idle() && !conn.closing.load(Ordering::SeqCst) {
                conn.ask_to_close();
                asked += 1;
            }
        }
        asked
    }

    /// Asks every connection to close (shutdown).
    pub fn close_all(&self) {
        self.lock().values().for_each(|c| c.ask_to_close());
    }

    /// Connections open now.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Connection>>> {
        // A panic while holding the map leaves it consistent (single inserts and
        // removes): carry on with it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_between_requests_are_closed_oldest_first() {
        let conns = Connections::default();
        let (_, fresh) = conns.opened(); // no request yet (headers still coming)
        let (_, old_idle) = conns.opened();
        let (_, busy) = conns.opened();
        let (_, new_idle) = conns.opened();
        for c in [&old_idle, &busy, &new_idle] {
            c.request_started();
            c.request_answered();
        }
        busy.request_started();
        assert_eq!(conns.close_idle(1), 1);
        assert!(old_idle.closing.load(Ordering::SeqCst));
        assert!(!new_idle.closing.load(Ordering::SeqCst));
        // Asked once, not again: the next one is the newer idle connection.
        assert_eq!(conns.close_idle(5), 1);
        assert!(new_idle.closing.load(Ordering::SeqCst));
        assert!(!fresh.closing.load(Ordering::SeqCst));
        assert!(!busy.closing.load(Ordering::SeqCst));
        assert_eq!(conns.close_idle(5), 0);
        assert_eq!(conns.count(), 4);
    }
}
