//! The SFU actor: owns the sans-IO [`Sfu`] and the media UDP socket, and runs them with one
//! `select!` over datagrams, commands from connections, the SFU's timer and shutdown.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

use super::histogram::Histogram;
use crate::ids::{ChannelId, UserId};
use crate::sfu::{ConnId, Now, Output, Sfu, SfuEvent, SfuStats};
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

/// Cloneable handle to the SFU actor.
#[derive(Debug, Clone)]
pub struct SfuHandle {
    commands: mpsc::Sender<SfuCommand>,
}

impl SfuHandle {
    /// Sends a command; fails only when the actor has stopped.
    pub async fn send(&self, command: SfuCommand) -> Result<(), ActorStopped> {
        self.commands.send(command).await.map_err(|_| ActorStopped)
    }

    /// Counters for `/metrics`.
    pub async fn stats(&self) -> Result<HostStats, ActorStopped> {
        let (tx, rx) = oneshot::channel();
        self.send(SfuCommand::Stats(tx)).await?;
        rx.await.map_err(|_| ActorStopped)
    }
}

/// What `/metrics` reports: the SFU's counters plus what only the actor can measure.
#[derive(Debug, Clone, Default)]
pub struct HostStats {
    pub sfu: SfuStats,
    /// Time from a datagram's receipt to the last datagram sent because of it.
    pub forward_latency: Histogram,
}

/// The SFU actor is gone (the host is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the SFU has stopped")]
pub struct ActorStopped;

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
}

impl SfuActor {
    pub fn new(
        sfu: Sfu,
        socket: UdpSocket,
        public_addr: SocketAddr,
        events: Option<EventSink>,
        shutdown: watch::Receiver<bool>,
    ) -> std::io::Result<(Self, SfuHandle)> {
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
        };
        Ok((actor, SfuHandle { commands: tx }))
    }

    pub async fn run(mut self) {
        let mut buf = vec![0u8; 2048];
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
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => {
                        let received_at = Instant::now();
                        let destination = self.destination_for(source);
                        self.sfu.handle_datagram(received_at, source, destination, &buf[..n]);
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

    /// The local address a datagram from `source` was sent to: the loopback socket address for
    /// loopback peers, otherwise the announced address (str0m matches it to a local candidate).
    fn destination_for(&self, source: SocketAddr) -> SocketAddr {
        if source.ip().is_loopback() && !self.local_addr.ip().is_unspecified() {
            self.local_addr
        } else if source.ip().is_loopback() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), self.local_addr.port())
        } else {
            self.public_addr
        }
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
                let found = self
                    .sfu
                    .force_disconnect(Instant::now(), user, channel, &reason);
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
        let mut sent = 0;
        while let Some(output) = self.sfu.poll_output() {
            match output {
                Output::Transmit {
                    destination,
                    contents,
                } => {
                    sent += 1;
                    if let Err(e) = self.socket.try_send_to(&contents, destination) {
                        if e.kind() == std::io::ErrorKind::WouldBlock {
                            let _ = self.socket.send_to(&contents, destination).await;
                        } else {
                            tracing::trace!(%destination, error = %e, "media send failed");
                        }
                    }
                }
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
