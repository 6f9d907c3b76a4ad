//! The tap: a TCP relay on loopback between client and server, and the
//! eavesdropper's only source of truth.
//!
//! Every chunk that crosses is forwarded at once, unchanged and with its
//! boundaries kept (one read, one write), then reported as a [`TapEvent`].
//! The relay loop in [`relay_direction`] is the one place bytes pass, so a
//! later active attacker is a transform applied there, not a second relay.
//! The [`Gate`] lets a teacher pause the wire and let chunks through one at
//! a time.
//!
//! Memory is bounded: each connection keeps at most `capture_limit` bytes
//! in the events it emits; past that a chunk is reported with its length
//! and an empty body, so a 100 MB RETR does not grow the capture.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::Direction;

/// What the tap saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapEvent {
    /// A client connected and the tap reached the server for it.
    Opened {
        /// The tap's number for this connection.
        conn: u64,
        /// The client's address.
        client: SocketAddr,
        /// The server the tap relays to.
        server: SocketAddr,
        /// When, since the tap started.
        at: Duration,
    },
    /// One chunk crossed the wire.
    Chunk(Chunk),
    /// One direction ended (the sender closed or an error occurred).
    Closed {
        /// The connection.
        conn: u64,
        /// Which direction ended.
        dir: Direction,
        /// When.
        at: Duration,
        /// Why, in words.
        reason: String,
    },
    /// The tap could not reach the server for a client.
    Failed {
        /// The connection.
        conn: u64,
        /// What went wrong.
        reason: String,
    },
}

/// One chunk as it crossed: one read on one side, one write on the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The connection.
    pub conn: u64,
    /// Which way it went.
    pub dir: Direction,
    /// When it crossed, since the tap started (monotonic clock).
    pub at: Duration,
    /// Its offset in this direction's byte stream.
    pub offset: u64,
    /// How many bytes crossed.
    pub len: usize,
    /// The bytes, or fewer (none) once the capture limit is reached.
    pub bytes: Vec<u8>,
}

impl Chunk {
    /// Bytes that crossed but were not kept ("N bytes not kept").
    pub fn not_kept(&self) -> usize {
        self.len - self.bytes.len()
    }
}

/// Whether chunks flow freely or wait for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateMode {
    /// Everything flows.
    Open,
    /// Chunks wait; `allowed` more may pass.
    Paused {
        /// How many chunks may still pass before the wire stops again.
        allowed: u64,
    },
}

/// Pause, step and resume the wire. Cloning gives another handle to the
/// same gate.
#[derive(Debug, Clone)]
pub struct Gate {
    tx: Arc<watch::Sender<GateMode>>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            tx: Arc::new(watch::channel(GateMode::Open).0),
        }
    }
}

impl Gate {
    /// Let everything through.
    pub fn open(&self) {
        self.tx.send_replace(GateMode::Open);
    }

    /// Stop the wire: chunks wait until a step or `open`.
    pub fn pause(&self) {
        self.tx.send_replace(GateMode::Paused { allowed: 0 });
    }

    /// Let one more chunk through while paused.
    pub fn step(&self) {
        self.tx.send_modify(|m| {
            if let GateMode::Paused { allowed } = m {
                *allowed += 1;
            }
        });
    }

    /// The current mode.
    pub fn mode(&self) -> GateMode {
        *self.tx.borrow()
    }

    /// Wait until one chunk may pass, and take its place.
    async fn pass(&self) {
        let mut rx = self.tx.subscribe();
        loop {
            let mut took = false;
            self.tx.send_if_modified(|m| match m {
                GateMode::Open => {
                    took = true;
                    false
                }
                GateMode::Paused { allowed } if *allowed > 0 => {
                    *allowed -= 1;
                    took = true;
                    true
                }
                GateMode::Paused { .. } => false,
            });
            if took {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

/// How a tap is set up.
#[derive(Debug, Clone)]
pub struct TapConfig {
    /// Where clients connect (port 0 picks one).
    pub listen: SocketAddr,
    /// The server to relay to.
    pub upstream: SocketAddr,
    /// Bytes kept in events per connection and direction.
    pub capture_limit: u64,
}

/// A bound tap.
pub struct Tap {
    listener: TcpListener,
    config: TapConfig,
    gate: Gate,
}

const CHUNK: usize = 16 * 1024;

impl Tap {
    /// Bind the listening side.
    pub async fn bind(config: TapConfig) -> std::io::Result<Tap> {
        let listener = crate::net::listen(config.listen)?;
        Ok(Tap {
            listener,
            config,
            gate: Gate::default(),
        })
    }

    /// Where clients should connect.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The gate of this tap's wire.
    pub fn gate(&self) -> Gate {
        self.gate.clone()
    }

    /// Relay connections until the task is dropped, reporting to `events`.
    /// If the receiver goes away the relay goes on; only reporting stops.
    pub async fn run(self, events: mpsc::UnboundedSender<TapEvent>) {
        self.run_since(events, Instant::now()).await
    }

    /// As [`run`](Self::run), with event times measured from `start` (the
    /// lab's clock, so wire and endpoint events can be put in one order).
    pub async fn run_since(self, events: mpsc::UnboundedSender<TapEvent>, start: Instant) {
        let next = AtomicU64::new(1);
        loop {
            let Ok((client, peer)) = self.listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let conn = next.fetch_add(1, Ordering::Relaxed);
            let upstream = self.config.upstream;
            let limit = self.config.capture_limit;
            let gate = self.gate.clone();
            let events = events.clone();
            tokio::spawn(async move {
                let server = match TcpStream::connect(upstream).await {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = events.send(TapEvent::Failed {
                            conn,
                            reason: format!("cannot reach {upstream}: {e}"),
                        });
                        return;
                    }
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let _ = events.send(TapEvent::Opened {
                    conn,
                    client: peer,
                    server: upstream,
                    at: start.elapsed(),
                });
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let up = relay_direction(
                    conn,
                    Direction::ClientToServer,
                    cr,
                    sw,
                    limit,
                    &gate,
                    &events,
                    start,
                );
                let down = relay_direction(
                    conn,
                    Direction::ServerToClient,
                    sr,
                    cw,
                    limit,
                    &gate,
                    &events,
                    start,
                );
                tokio::join!(up, down);
            });
        }
    }
}

/// Copy one direction: read a chunk, wait at the gate, forward it whole,
/// report it. The only place bytes pass.
#[allow(clippy::too_many_arguments)]
async fn relay_direction(
    conn: u64,
    dir: Direction,
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    limit: u64,
    gate: &Gate,
    events: &mpsc::UnboundedSender<TapEvent>,
    start: Instant,
) {
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let mut kept = 0u64;
    let reason = loop {
        let n = match from.read(&mut buf).await {
            Ok(0) => break "closed by the sender".to_string(),
            Ok(n) => n,
            Err(e) => break format!("read error: {e}"),
        };
        gate.pass().await;
        // The chunk crosses now: stamp it before the write, so the
        // receiving endpoint can never report it earlier than the wire.
        let at = start.elapsed();
        if let Err(e) = to.write_all(&buf[..n]).await {
            break format!("write error: {e}");
        }
        let keep = (limit.saturating_sub(kept)).min(n as u64) as usize;
        kept += keep as u64;
        let _ = events.send(TapEvent::Chunk(Chunk {
            conn,
            dir,
            at,
            offset,
            len: n,
            bytes: buf[..keep].to_vec(),
        }));
        offset += n as u64;
    };
    // Pass the half-close on, so each endpoint sees what it would have
    // seen without the tap in between.
    let _ = to.shutdown().await;
    let _ = events.send(TapEvent::Closed {
        conn,
        dir,
        at: start.elapsed(),
        reason,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    s.write_all(b"+OK hello\r\n").await.unwrap();
                    let mut buf = [0u8; 1024];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => s.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                });
            }
        });
        addr
    }

    async fn tap(
        upstream: SocketAddr,
        limit: u64,
    ) -> (SocketAddr, Gate, mpsc::UnboundedReceiver<TapEvent>) {
        let tap = Tap::bind(TapConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream,
            capture_limit: limit,
        })
        .await
        .unwrap();
        let addr = tap.local_addr().unwrap();
        let gate = tap.gate();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(tap.run(tx));
        (addr, gate, rx)
    }

    async fn next_chunk(rx: &mut mpsc::UnboundedReceiver<TapEvent>) -> Chunk {
        loop {
            match rx.recv().await.unwrap() {
                TapEvent::Chunk(c) => return c,
                _ => continue,
            }
        }
    }

    #[tokio::test]
    async fn bytes_pass_unchanged_and_are_reported_with_offsets() {
        let server = echo_server().await;
        let (addr, _gate, mut rx) = tap(server, 1 << 20).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"+OK hello\r\n");
        c.write_all(b"NOOP\r\n").await.unwrap();
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"NOOP\r\n");
        let greet = next_chunk(&mut rx).await;
        assert_eq!(
            (greet.dir, greet.offset, &greet.bytes[..]),
            (Direction::ServerToClient, 0, &b"+OK hello\r\n"[..])
        );
        let up = next_chunk(&mut rx).await;
        assert_eq!(
            (up.dir, up.offset, &up.bytes[..]),
            (Direction::ClientToServer, 0, &b"NOOP\r\n"[..])
        );
        let echo = next_chunk(&mut rx).await;
        assert_eq!((echo.dir, echo.offset), (Direction::ServerToClient, 11));
        assert!(echo.at >= greet.at);
    }

    #[tokio::test]
    async fn the_capture_limit_keeps_lengths_but_drops_bytes() {
        let server = echo_server().await;
        let (addr, _gate, mut rx) = tap(server, 4).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let _ = c.read(&mut buf).await.unwrap();
        let greet = next_chunk(&mut rx).await;
        assert_eq!(greet.len, 11);
        assert_eq!(greet.bytes, b"+OK ");
        assert_eq!(greet.not_kept(), 7);
    }

    #[tokio::test]
    async fn a_paused_gate_holds_chunks_until_stepped() {
        let server = echo_server().await;
        let (addr, gate, mut rx) = tap(server, 1 << 20).await;
        gate.pause();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let early = tokio::time::timeout(Duration::from_millis(200), c.read(&mut buf)).await;
        assert!(early.is_err(), "nothing passes while paused");
        gate.step();
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"+OK hello\r\n");
        assert_eq!(next_chunk(&mut rx).await.dir, Direction::ServerToClient);
        assert_eq!(gate.mode(), GateMode::Paused { allowed: 0 });
        c.write_all(b"X\r\n").await.unwrap();
        gate.open();
        let n = c.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"X\r\n");
    }
}
