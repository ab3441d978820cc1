//! The HTTP listener's own limits, below HTTP: connections per address and in total, and a
//! connection that sends nothing for a while is closed. Without them 3,000 connections that send
//! half a request line stay open forever, and a desktop's usual 1,024 file descriptors run out.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

use super::limits::Refusals;

/// Connections one address may hold: a LAN party's shared NAT, with every player's app open
/// (a world socket, a signal socket, a few HTTP requests each). The host's own machine
/// (127.0.0.1, ::1: the hosting app's client, local tools and benchmarks) is not capped by
/// address, only in total.
pub const CONNECTIONS_PER_ADDRESS: usize = 64;
/// Connections in all: under a desktop's default limit of 1,024 file descriptors, leaving room
/// for the app's own sockets, files and devices.
pub const CONNECTIONS_TOTAL: usize = 768;
/// A connection that sends no byte for this long is closed (HTTP requests arrive at once;
/// WebSocket clients answer the server's pings every 10 to 15 s).
pub const READ_IDLE: Duration = Duration::from_secs(60);

/// Who holds how many connections.
#[derive(Debug, Default)]
struct Open {
    by_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// The TCP listener, admitting connections within the limits.
pub struct GuardedListener {
    inner: TcpListener,
    open: Arc<Mutex<Open>>,
    refusals: Arc<Refusals>,
    read_idle: Duration,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, refusals: Arc<Refusals>) -> Self {
        Self {
            inner,
            open: Arc::default(),
            refusals,
            read_idle: READ_IDLE,
        }
    }

    /// Takes a place for a connection from `ip`, or None when it is over a limit.
    fn admit(&self, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = open.by_address.get(&ip).copied().unwrap_or(0);
        let this_machine =
            ip == IpAddr::from([127, 0, 0, 1]) || ip == IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]);
        if (mine >= CONNECTIONS_PER_ADDRESS && !this_machine) || open.total >= CONNECTIONS_TOTAL {
            return None;
        }
        *open.by_address.entry(ip).or_default() += 1;
        open.total += 1;
        Some(Slot {
            open: self.open.clone(),
            ip,
        })
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Some(slot) = self.admit(addr.ip()) else {
                self.refusals.count_connection_refused();
                tracing::debug!(%addr, "connection over the limits refused");
                continue;
            };
            let stream = GuardedStream {
                inner: tcp,
                idle: Box::pin(tokio::time::sleep(self.read_idle)),
                read_idle: self.read_idle,
                _slot: slot,
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection's place; given back when the connection ends.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_address.remove(&self.ip);
            }
        }
    }
}

/// A TCP connection that fails its reads after [`READ_IDLE`] without a byte.
pub struct GuardedStream {
    inner: TcpStream,
    idle: Pin<Box<Sleep>>,
    read_idle: Duration,
    _slot: Slot,
}

impl GuardedStream {
    pub fn tcp(&self) -> &TcpStream {
        &self.inner
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.idle.as_mut().reset(Instant::now() + this.read_idle);
                Poll::Ready(result)
            }
            Poll::Pending => match this.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no byte from the client for too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn a_connection_that_sends_nothing_fails_its_reads_and_gives_its_place_back() {
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = tcp.local_addr().expect("address");
        let mut listener = GuardedListener::new(tcp, Arc::default());
        listener.read_idle = Duration::from_millis(100);
        let mut client = TcpStream::connect(addr).await.expect("connects");
        let (mut stream, _) = listener.accept().await;
        client.write_all(b"GET").await.expect("writes");
        let mut buf = [0u8; 16];
        assert_eq!(stream.read(&mut buf).await.expect("bytes arrive"), 3);
        // Then nothing: the read fails once the idle time passed.
        let error = stream.read(&mut buf).await.expect_err("times out");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(listener.open.lock().expect("lock").total, 1);
        drop(stream);
        assert_eq!(
            listener.open.lock().expect("lock").total,
            0,
            "the place is given back"
        );
    }

    #[test]
    fn the_host_machine_is_capped_only_in_total() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        let tcp = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("binds");
        let _guard = rt.enter();
        let listener = GuardedListener::new(tcp, Arc::default());
        let stranger = IpAddr::from([192, 168, 1, 9]);
        let local = IpAddr::from([127, 0, 0, 1]);
        let strangers: Vec<Slot> = (0..CONNECTIONS_PER_ADDRESS)
            .filter_map(|_| listener.admit(stranger))
            .collect();
        assert_eq!(strangers.len(), CONNECTIONS_PER_ADDRESS);
        assert!(
            listener.admit(stranger).is_none(),
            "one more from that address is refused"
        );
        let locals: Vec<Slot> = (0..CONNECTIONS_TOTAL - CONNECTIONS_PER_ADDRESS)
            .filter_map(|_| listener.admit(local))
            .collect();
        assert_eq!(locals.len(), CONNECTIONS_TOTAL - CONNECTIONS_PER_ADDRESS);
        assert!(
            listener.admit(local).is_none(),
            "the total cap holds for this machine too"
        );
        drop(strangers);
        assert!(listener.admit(stranger).is_some(), "places come back");
    }
}
