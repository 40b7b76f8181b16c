//! A TCP proxy on loopback that injects the faults of a village connection between
//! phones and the server: refused connections, delays, and connections cut in the
//! middle of a request or response body. It counts the bytes it carries, so tests
//! can measure what a sync costs on the wire.
//!
//! Faults are drawn per connection from a seeded RNG and can be changed while the
//! proxy runs; `clear()` makes it a plain pipe.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What can go wrong on a connection, as probabilities per connection.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Close the connection as soon as it is accepted.
    pub drop: f64,
    /// Cut the request after a random part of it reached the server.
    pub cut_request: f64,
    /// Cut the response after a random part of it reached the phone.
    pub cut_response: f64,
    /// Delay each chunk by up to this much.
    pub max_delay: Duration,
}

/// What the proxy has seen.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections dropped or cut on purpose.
    pub faults: AtomicU64,
    /// Bytes from phones to the server.
    pub up: AtomicU64,
    /// Bytes from the server to phones.
    pub down: AtomicU64,
}

impl Counters {
    /// Bytes carried both ways so far.
    pub fn bytes(&self) -> u64 {
        self.up.load(Ordering::Relaxed) + self.down.load(Ordering::Relaxed)
    }
}

/// A running proxy.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, to give phones instead of the server's URL.
    pub url: String,
    faults: Arc<Mutex<Faults>>,
    /// What it has carried.
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream`.
    pub async fn start(upstream: SocketAddr, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Mutex::new(Faults::default()));
        let counters = Arc::new(Counters::default());
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let (f, c) = (faults.clone(), counters.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                c.connections.fetch_add(1, Ordering::Relaxed);
                let now = *f.lock().unwrap();
                let plan = {
                    let mut r = rng.lock().unwrap();
                    Plan {
                        drop: r.random_bool(now.drop),
                        cut_up: r
                            .random_bool(now.cut_request)
                            .then(|| r.random_range(1..4_000)),
                        cut_down: r
                            .random_bool(now.cut_response)
                            .then(|| r.random_range(1..4_000)),
                        delay: if now.max_delay.is_zero() {
                            Duration::ZERO
                        } else {
                            now.max_delay.mul_f64(r.random_range(0.0..1.0))
                        },
                    }
                };
                tokio::spawn(carry(client, upstream, plan, c.clone()));
            }
        });
        FaultProxy {
            url: format!("http://{addr}"),
            faults,
            counters,
            task,
        }
    }

    /// Changes the faults for new connections.
    pub fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }

    /// No more faults: a plain pipe.
    pub fn clear(&self) {
        self.set(Faults::default());
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    drop: bool,
    cut_up: Option<u64>,
    cut_down: Option<u64>,
    delay: Duration,
}

async fn carry(client: TcpStream, upstream: SocketAddr, plan: Plan, counters: Arc<Counters>) {
    if plan.drop {
        counters.faults.fetch_add(1, Ordering::Relaxed);
        drop(client);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, plan.cut_up, plan.delay, counters.clone(), true);
    let down = pump(sr, cw, plan.cut_down, plan.delay, counters.clone(), false);
    tokio::pin!(up, down);
    // When either direction is cut, the whole connection goes, as on a real network;
    // a clean end of one direction lets the other finish.
    tokio::select! {
        cut = &mut up => if !cut { down.await; },
        cut = &mut down => if !cut { up.await; },
    }
}

/// Copies one direction until EOF (returns `false`), or until `cut` bytes went
/// through (returns `true`).
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cut: Option<u64>,
    delay: Duration,
    counters: Arc<Counters>,
    up: bool,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    let mut sent = 0u64;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut chunk = &buf[..n];
        let mut cut_now = false;
        if let Some(limit) = cut
            && sent + n as u64 >= limit
        {
            chunk = &buf[..(limit - sent) as usize];
            cut_now = true;
        }
        if to.write_all(chunk).await.is_err() {
            break;
        }
        sent += chunk.len() as u64;
        let counter = if up { &counters.up } else { &counters.down };
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if cut_now {
            counters.faults.fetch_add(1, Ordering::Relaxed);
            return true;
        }
    }
    // A clean end in this direction: half-close, and let the other direction go on.
    let _ = to.shutdown().await;
    false
}
