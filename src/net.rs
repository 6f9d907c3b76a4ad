//! Listening sockets, shared by the server and the tap.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

/// How many connections the kernel may hold for us before we accept them
/// (Linux caps it at `net.core.somaxconn`, 4096 by default).
/// `TcpListener::bind` asks for only 128: a burst of a few hundred clients
/// connecting at once then overflows the queue, the kernel drops their
/// SYNs, and each dropped client waits a full second before trying again.
/// That, not the work per connection, made 1,000 connections take over a
/// second to open.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Bind a listener the way `TcpListener::bind` does (with SO_REUSEADDR, so
/// a restarted server need not wait for old connections to time out), but
/// with a deep accept queue.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
