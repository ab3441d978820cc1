//! The SFU actor: owns the sans-IO [`Sfu`] and the media UDP socket, and runs them with one
//! `select!` over datagrams, commands from connections, the SFU's timer and shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

use super::histogram::Histogram;
use super::outbox::{self, Outbox};
use super::placement::Placement;
use crate::clock::Now;
use crate::ids::ConnId;
use crate::ids::{ChannelId, UserId};
use crate::sfu::{Output, Sfu, SfuEvent, SfuStats};
use crate::signal::{ClientMessage, Join, ServerMessage};

/// Commands the SFU actor takes. Sent through [`SfuHandle`].
#[derive(Debug)]
pub enum SfuCommand {
    /// A connection's first frame was a join; `outbound` receives what the SFU sends it.
    Join {
        conn: ConnId,
        join: Join,
        outbound: mpsc::Sender<Outbound>,
    },
    /// A joined connection sent a message.
    Message {
        conn: ConnId,
        message: ClientMessage,
    },
    /// A `/socket` (dspeak) connection opened; `outbound` receives what the SFU sends it.
    DspeakJoin {
        conn: ConnId,
        join: crate::dspeak::Join,
        outbound: mpsc::Sender<Outbound>,
    },
    /// A `/socket` connection sent a frame.
    DspeakMessage {
        conn: ConnId,
        message: crate::dspeak::ClientMessage,
    },
    /// A connection's socket closed.
    Disconnected { conn: ConnId },
    /// The main server asked to disconnect a user (interop `force_disconnect`).
    ForceDisconnect {
        user: UserId,
        channel: ChannelId,
        reason: String,
        done: oneshot::Sender<bool>,
    },
    /// Every channel with at least one peer, with its users (for the interop presence sync).
    ActiveChannels(oneshot::Sender<Vec<(ChannelId, Vec<UserId>)>>),
    /// The main server moves a user to another channel (interop extension `move_user`).
    MoveUser {
        user: UserId,
        channel: ChannelId,
        to: ChannelId,
    },
    /// The world server mutes or unmutes a user in a channel (a moderator's `MUTE_USER`).
    ServerMute {
        user: UserId,
        channel: ChannelId,
        muted: bool,
    },
    /// A connection failed the handshake before its join reached the SFU.
    HandshakeFailed { code: crate::signal::JoinErrorCode },
    /// A snapshot of the counters, for `/metrics`.
    Stats(oneshot::Sender<HostStats>),
}

/// What a connection task must do for the SFU.
#[derive(Debug)]
pub enum Outbound {
    Message(ServerMessage),
    /// A frame for a `/socket` connection.
    Dspeak(crate::dspeak::ServerMessage),
    Close {
        code: u16,
        reason: &'static str,
    },
}

/// Queue depth of the command channel. Connection tasks wait when it is full (backpressure).
const COMMAND_QUEUE: usize = 1024;
/// Queue depth of one connection's outbound messages. A connection whose queue is full is too
/// slow to keep up and is closed.
pub const OUTBOUND_QUEUE: usize = 256;

/// Cloneable handle to the SFU: one or more worker actors (`--workers`), each owning its
/// channels. Commands go to the worker of the channel or connection they name; queries ask every
/// worker and merge the answers.
#[derive(Debug, Clone)]
pub struct SfuHandle {
    workers: Arc<[mpsc::Sender<SfuCommand>]>,
    routing: Arc<Mutex<Routing>>,
}

/// Which worker serves each channel and each joined connection.
#[derive(Debug)]
struct Routing {
    placement: Placement,
    connections: HashMap<ConnId, usize>,
}

impl SfuHandle {
    /// A handle over worker actors fed by `workers`, in worker order.
    pub fn new(workers: Vec<mpsc::Sender<SfuCommand>>) -> Self {
        let routing = Routing {
            placement: Placement::new(workers.len()),
            connections: HashMap::new(),
        };
        Self {
            workers: workers.into(),
            routing: Arc::new(Mutex::new(routing)),
        }
    }

    /// Sends a command to the worker it concerns; fails only when that worker has stopped.
    pub async fn send(&self, command: SfuCommand) -> Result<(), ActorStopped> {
        let worker = match &command {
            SfuCommand::ActiveChannels(_) | SfuCommand::Stats(_) => {
                return self.ask_all(command).await;
            }
            SfuCommand::Join { conn, join, .. } => self.place(join.channel, Some(*conn)),
            SfuCommand::DspeakJoin { conn, join, .. } => self.place(join.channel, Some(*conn)),
            SfuCommand::Message { conn, .. } | SfuCommand::DspeakMessage { conn, .. } => {
                self.worker_of(*conn, false)
            }
            SfuCommand::Disconnected { conn } => self.worker_of(*conn, true),
            SfuCommand::ForceDisconnect { channel, .. }
            | SfuCommand::ServerMute { channel, .. }
            | SfuCommand::MoveUser { channel, .. } => self.place(*channel, None),
            SfuCommand::HandshakeFailed { .. } => 0,
        };
        self.workers[worker]
            .send(command)
            .await
            .map_err(|_| ActorStopped)
    }

    /// Counters for `/metrics`, summed over the workers.
    pub async fn stats(&self) -> Result<HostStats, ActorStopped> {
        let (tx, rx) = oneshot::channel();
        self.send(SfuCommand::Stats(tx)).await?;
        rx.await.map_err(|_| ActorStopped)
    }

    /// Channels per worker, for `/metrics`.
    pub fn channels_per_worker(&self) -> Vec<usize> {
        self.routing().placement.load().to_vec()
    }

    fn routing(&self) -> std::sync::MutexGuard<'_, Routing> {
        // The lock guards plain maps and is never held across an await: a panic elsewhere
        // cannot leave them half-updated, so a poisoned lock is still consistent.
        self.routing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn place(&self, channel: ChannelId, conn: Option<ConnId>) -> usize {
        let mut routing = self.routing();
        let worker = routing.placement.place(channel);
        if let Some(conn) = conn {
            routing.connections.insert(conn, worker);
        }
        worker
    }

    /// The worker a connection joined on (worker 0 for one that never joined).
    fn worker_of(&self, conn: ConnId, forget: bool) -> usize {
        let mut routing = self.routing();
        let worker = routing.connections.get(&conn).copied().unwrap_or(0);
        if forget {
            routing.connections.remove(&conn);
        }
        worker
    }

    /// Asks every worker and merges the answers into the query's reply.
    async fn ask_all(&self, command: SfuCommand) -> Result<(), ActorStopped> {
        match command {
            SfuCommand::ActiveChannels(reply) => {
                let mut all: Vec<_> = self
                    .ask_each(SfuCommand::ActiveChannels)
                    .await?
                    .into_iter()
                    .flatten()
                    .collect();
                all.sort_by_key(|(channel, _)| *channel);
                let _ = reply.send(all);
            }
            SfuCommand::Stats(reply) => {
                let mut total = HostStats::default();
                for stats in self.ask_each(SfuCommand::Stats).await? {
                    total.add(&stats);
                }
                let _ = reply.send(total);
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends the query `make` builds to each worker in turn and collects the answers.
    async fn ask_each<T>(
        &self,
        make: impl Fn(oneshot::Sender<T>) -> SfuCommand,
    ) -> Result<Vec<T>, ActorStopped> {
        let mut answers = Vec::with_capacity(self.workers.len());
        for worker in self.workers.iter() {
            let (tx, rx) = oneshot::channel();
            worker.send(make(tx)).await.map_err(|_| ActorStopped)?;
            answers.push(rx.await.map_err(|_| ActorStopped)?);
        }
        Ok(answers)
    }
}

/// What `/metrics` reports: the SFU's counters plus what only the actor can measure.
#[derive(Debug, Clone, Default)]
pub struct HostStats {
    pub sfu: SfuStats,
    /// Time from a datagram's receipt to the last datagram sent because of it.
    pub forward_latency: Histogram,
}

impl HostStats {
    /// Adds another worker's figures.
    fn add(&mut self, other: &HostStats) {
        self.sfu.add(&other.sfu);
        self.forward_latency.add(&other.forward_latency);
    }
}

/// The SFU actor is gone (the host is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the SFU has stopped")]
pub struct ActorStopped;

/// Datagrams read from the media socket per wakeup at most, so commands and timers still get
/// their turn during a flood.
const RECEIVE_BURST: usize = 64;
/// Room for one datagram: more than any WebRTC packet on a 1,500-byte MTU path.
const DATAGRAM_MAX: usize = 2048;

/// Events the host reports elsewhere (logs, metrics, interop).
pub type EventSink = mpsc::UnboundedSender<SfuEvent>;

pub struct SfuActor {
    sfu: Sfu,
    socket: UdpSocket,
    local_addr: SocketAddr,
    /// The announced candidate used as the destination of non-loopback datagrams.
    public_addr: SocketAddr,
    commands: mpsc::Receiver<SfuCommand>,
    connections: std::collections::HashMap<ConnId, mpsc::Sender<Outbound>>,
    events: Option<EventSink>,
    shutdown: watch::Receiver<bool>,
    forward_latency: Histogram,
    /// Datagrams the SFU produced, waiting for the next batched send.
    outbox: Outbox,
}

impl SfuActor {
    pub fn new(
        sfu: Sfu,
        socket: UdpSocket,
        public_addr: SocketAddr,
        events: Option<EventSink>,
        shutdown: watch::Receiver<bool>,
    ) -> std::io::Result<(Self, mpsc::Sender<SfuCommand>)> {
        let local_addr = socket.local_addr()?;
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let actor = Self {
            sfu,
            socket,
            local_addr,
            public_addr,
            commands: rx,
            connections: Default::default(),
            events,
            shutdown,
            forward_latency: Histogram::default(),
            outbox: Outbox::default(),
        };
        Ok((actor, tx))
    }

    pub async fn run(mut self) {
        let mut buf = vec![0u8; RECEIVE_BURST * DATAGRAM_MAX];
        loop {
            let deadline = self
                .sfu
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                readable = self.socket.readable() => match readable {
                    Ok(()) => {
                        let received_at = Instant::now();
                        self.receive_burst(&mut buf);
                        if self.flush().await > 0 {
                            self.forward_latency.observe(received_at.elapsed());
                        }
                        continue;
                    }
                    Err(e) => tracing::debug!(error = %e, "media socket receive failed"),
                },
                _ = tokio::time::sleep_until(deadline.into()) => self.sfu.handle_timeout(Instant::now()),
            }
            self.flush().await;
        }
        for (_, outbound) in self.connections.drain() {
            let _ = outbound.try_send(Outbound::Close {
                code: 1001,
                reason: "server shutting down",
            });
        }
    }

    /// Reads every datagram waiting on the socket, up to [`RECEIVE_BURST`], and hands them to
    /// the SFU together: a burst costs one wakeup, each receiver is drained once for it, and the
    /// forwarded copies leave in shared `sendmmsg` batches.
    fn receive_burst(&mut self, buf: &mut [u8]) {
        let mut received: Vec<(SocketAddr, usize)> = Vec::with_capacity(RECEIVE_BURST);
        for slot in buf.chunks_mut(DATAGRAM_MAX) {
            match self.socket.try_recv_from(slot) {
                Ok((n, source)) => received.push((source, n)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::debug!(error = %e, "media socket receive failed");
                    break;
                }
            }
        }
        let datagrams =
            received
                .iter()
                .zip(buf.chunks(DATAGRAM_MAX))
                .map(|(&(source, n), slot)| {
                    let destination = destination_for(self.local_addr, self.public_addr, source);
                    (source, destination, &slot[..n])
                });
        self.sfu.handle_datagrams(Instant::now(), datagrams);
    }

    fn on_command(&mut self, command: SfuCommand) {
        match command {
            SfuCommand::Join {
                conn,
                join,
                outbound,
            } => {
                self.connections.insert(conn, outbound);
                self.sfu.handle_join(now(), conn, join);
            }
            SfuCommand::Message { conn, message } => self.sfu.handle_message(now(), conn, message),
            SfuCommand::DspeakJoin {
                conn,
                join,
                outbound,
            } => {
                self.connections.insert(conn, outbound);
                self.sfu.handle_dspeak_join(now(), conn, join);
            }
            SfuCommand::DspeakMessage { conn, message } => {
                self.sfu.handle_dspeak_message(now(), conn, message)
            }
            SfuCommand::Disconnected { conn } => {
                self.connections.remove(&conn);
                self.sfu.handle_disconnect(Instant::now(), conn);
            }
            SfuCommand::ForceDisconnect {
                user,
                channel,
                reason,
                done,
            } => {
                let found = self.sfu.force_disconnect(now(), user, channel, &reason);
                let _ = done.send(found);
            }
            SfuCommand::ServerMute {
                user,
                channel,
                muted,
            } => self.sfu.server_mute(Instant::now(), user, channel, muted),
            SfuCommand::ActiveChannels(reply) => {
                let _ = reply.send(self.sfu.active_channels());
            }
            SfuCommand::MoveUser { user, channel, to } => {
                self.sfu.move_user(now(), user, channel, to);
            }
            SfuCommand::HandshakeFailed { code } => self.sfu.record_handshake_failure(code),
            SfuCommand::Stats(reply) => {
                let _ = reply.send(HostStats {
                    sfu: self.sfu.stats(),
                    forward_latency: self.forward_latency.clone(),
                });
            }
        }
    }

    /// Carries out the SFU's outputs; returns how many datagrams were sent.
    async fn flush(&mut self) -> usize {
        while let Some(output) = self.sfu.poll_output() {
            match output {
                Output::Transmit {
                    destination,
                    contents,
                } => self.outbox.push(destination, contents),
                Output::Signal { conn, message } => self.deliver(conn, Outbound::Message(message)),
                Output::Dspeak { conn, message } => self.deliver(conn, Outbound::Dspeak(message)),
                Output::Close { conn, code, reason } => {
                    self.deliver(conn, Outbound::Close { code, reason });
                    self.connections.remove(&conn);
                }
                Output::Event(event) => {
                    if let Some(events) = &self.events {
                        let _ = events.send(event);
                    }
                }
            }
        }
        self.send_outbox().await
    }

    /// Sends every queued datagram, waiting for the socket when it is full.
    async fn send_outbox(&mut self) -> usize {
        let mut sent = 0;
        while !self.outbox.is_empty() {
            let socket = &self.socket;
            let outcome = self.outbox.send_with(|batch| {
                socket.try_io(tokio::io::Interest::WRITABLE, || {
                    send_batch_on(socket, batch)
                })
            });
            sent += outcome.datagrams;
            if outcome.blocked && self.socket.writable().await.is_err() {
                break;
            }
        }
        sent
    }

    fn deliver(&mut self, conn: ConnId, outbound: Outbound) {
        let Some(tx) = self.connections.get(&conn) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(outbound) {
            tracing::warn!(%conn, "connection too slow to keep up; closing it");
            self.connections.remove(&conn);
            self.sfu.handle_disconnect(Instant::now(), conn);
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn send_batch_on(socket: &UdpSocket, batch: &[outbox::Datagram]) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    outbox::send_batch(socket.as_raw_fd(), batch)
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn send_batch_on(socket: &UdpSocket, batch: &[outbox::Datagram]) -> std::io::Result<usize> {
    let mut sent = 0;
    for (destination, contents) in batch {
        match socket.try_send_to(contents, *destination) {
            Ok(_) => sent += 1,
            Err(e) if sent > 0 && e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// The local address a datagram from `source` was sent to: the loopback socket address for
/// loopback peers, otherwise the announced address (str0m matches it to a local candidate).
fn destination_for(local: SocketAddr, public: SocketAddr, source: SocketAddr) -> SocketAddr {
    if source.ip().is_loopback() && !local.ip().is_unspecified() {
        local
    } else if source.ip().is_loopback() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        public
    }
}

/// The current time for the SFU core.
pub fn now() -> Now {
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Now {
        instant: Instant::now(),
        unix_ms,
    }
}
