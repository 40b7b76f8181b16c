//! A TCP proxy on loopback that injects the faults of a village connection between
//! phones and the server: refused connections, delays, and connections cut in the
//! middle of a request or response body. It counts the bytes it carries, so tests
//! can measure what a sync costs on the wire.
//!
//! Faults are drawn from a seeded RNG and can be changed while the
//! proxy runs; `clear()` makes it a plain pipe.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What can go wrong: `drop` per new connection, cuts per chunk carried (so
/// long-lived keep-alive connections break too), delays per chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Close the connection as soon as it is accepted.
    pub drop: f64,
    /// Cut a chunk going to the server part-way, and the connection with it.
    pub cut_request: f64,
    /// Cut a chunk going to the phone part-way, and the connection with it.
    pub cut_response: f64,
    /// Delay each chunk by up to this much.
    pub max_delay: Duration,
}

impl Faults {
    /// No signal at all: every new connection dropped, every open one cut.
    pub fn offline() -> Faults {
        Faults {
            drop: 1.0,
            cut_request: 1.0,
            cut_response: 1.0,
            ..Faults::default()
        }
    }
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
                let drop = {
                    let p = f.lock().unwrap().drop;
                    rng.lock().unwrap().random_bool(p)
                };
                let line = Line {
                    faults: f.clone(),
                    rng: rng.clone(),
                    counters: c.clone(),
                };
                tokio::spawn(carry(client, upstream, drop, line));
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

/// What every connection shares: the current faults, the RNG, the counters.
#[derive(Clone)]
struct Line {
    faults: Arc<Mutex<Faults>>,
    rng: Arc<Mutex<StdRng>>,
    counters: Arc<Counters>,
}

impl Line {
    /// For a chunk of `n` bytes: how long to hold it, and where to cut it (if at all).
    fn chunk(&self, n: usize, up: bool) -> (Duration, Option<usize>) {
        let faults = *self.faults.lock().unwrap();
        let mut rng = self.rng.lock().unwrap();
        let p = if up {
            faults.cut_request
        } else {
            faults.cut_response
        };
        let cut = rng.random_bool(p).then(|| rng.random_range(0..n));
        let delay = if faults.max_delay.is_zero() {
            Duration::ZERO
        } else {
            faults.max_delay.mul_f64(rng.random_range(0.0..1.0))
        };
        (delay, cut)
    }
}

async fn carry(client: TcpStream, upstream: SocketAddr, drop_it: bool, line: Line) {
    if drop_it {
        line.counters.faults.fetch_add(1, Ordering::Relaxed);
        drop(client);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, line.clone(), true);
    let down = pump(sr, cw, line, false);
    tokio::pin!(up, down);
    // When either direction is cut, the whole connection goes, as on a real network;
    // a clean end of one direction lets the other finish.
    tokio::select! {
        cut = &mut up => if !cut { down.await; },
        cut = &mut down => if !cut { up.await; },
    }
}

/// Copies one direction until EOF (returns `false`), or until a fault cuts it in
/// the middle of a chunk (returns `true`).
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    line: Line,
    up: bool,
) -> bool {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let (delay, cut) = line.chunk(n, up);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let chunk = &buf[..cut.unwrap_or(n)];
        if to.write_all(chunk).await.is_err() {
            break;
        }
        let counter = if up {
            &line.counters.up
        } else {
            &line.counters.down
        };
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if cut.is_some() {
            line.counters.faults.fetch_add(1, Ordering::Relaxed);
            return true;
        }
    }
    // A clean end in this direction: half-close, and let the other direction go on.
    let _ = to.shutdown().await;
    false
}
