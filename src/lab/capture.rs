//! A capture read from a file, through the same pump as the live tap: the
//! conversations `popscope inspect` finds become the lab's [`Event`]s,
//! worded and judged exactly as the tap's are.
//!
//! The eavesdropper here always holds a key log (empty unless one is
//! given or the capture carries its own), so that a TLS conversation it
//! cannot open is reported as sealed, record by record, rather than
//! passed over in silence.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::{Emitter, Event, EventKind, Pump, WireEvent, judge};
use crate::wire::Direction;
use crate::wire::decrypt::KeyLog;
use crate::wire::tap::{Chunk, CloseReason};

/// Feeds one capture's conversations to the pump, synchronously; the
/// events come out of [`CaptureFeed::take`].
pub struct CaptureFeed {
    pump: Pump,
    rx: mpsc::UnboundedReceiver<Event>,
    keys: super::stolen::Leaked,
}

impl std::fmt::Debug for CaptureFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFeed").finish_non_exhaustive()
    }
}

impl CaptureFeed {
    /// A feed whose eavesdropper holds `keys`.
    pub fn new(keys: KeyLog) -> CaptureFeed {
        let (tx, rx) = mpsc::unbounded_channel();
        let emit = Emitter {
            epoch: Instant::now(),
            tx,
            judge: Arc::new(Mutex::new(judge::Judge::new(None))),
        };
        // Nobody waits for the connections of a file to close.
        let (open, _) = watch::channel(0usize);
        let keys: super::stolen::Leaked = Arc::new(Mutex::new(keys));
        let mut pump = Pump::new(emit, open, None, Some(keys.clone()));
        pump.quiet_cleartext = true;
        // A capture's key log is all there is: it opens the handshake for
        // the endpoints' view as it opens the records for the attacker's.
        pump.endpoints = Some(keys.clone());
        CaptureFeed { pump, rx, keys }
    }

    /// More secrets (a pcapng Decryption Secrets Block): records not yet
    /// opened are tried again with them.
    pub fn add_keys(&self, more: KeyLog) {
        crate::sync::lock(&self.keys).merge(more);
    }

    /// How many secrets the eavesdropper holds.
    pub fn keys(&self) -> usize {
        crate::sync::lock(&self.keys).len()
    }

    /// A conversation begins; `implicit_tls` when TLS starts at its first
    /// byte (POP3S).
    pub fn opened(
        &mut self,
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
        at: Duration,
        implicit_tls: bool,
    ) {
        self.pump.opened(conn, client, server, at, implicit_tls);
    }

    /// Bytes in order at `offset` of one direction.
    pub fn data(&mut self, conn: u64, dir: Direction, offset: u64, bytes: Vec<u8>, at: Duration) {
        self.pump.chunk(Chunk {
            conn,
            dir,
            at,
            offset,
            len: bytes.len(),
            bytes,
        });
    }

    /// Bytes the capture does not hold.
    pub fn gap(&mut self, conn: u64, dir: Direction, offset: u64, len: u64, at: Duration) {
        self.pump.emit.at(
            at,
            EventKind::Wire(WireEvent::Gap {
                conn,
                dir,
                offset,
                len,
            }),
        );
    }

    /// One direction ended.
    pub fn closed(&mut self, conn: u64, dir: Direction, reason: CloseReason, at: Duration) {
        self.pump.closed(conn, dir, at, reason);
    }

    /// The events produced so far, in order.
    pub fn take(&mut self, out: &mut Vec<Event>) {
        while let Ok(e) = self.rx.try_recv() {
            out.push(e);
        }
    }
}
