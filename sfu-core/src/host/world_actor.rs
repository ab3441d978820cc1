//! The world actor: owns the sans-IO [`WorldServer`] and runs it with one `select!` over
//! commands from connections, its timer and shutdown. SFU requests go to the SFU actor.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use super::interop_main::{HubCommand, HubHandle};
use super::sfu_actor::now;
use crate::ids::ConnId;
use crate::interop::wire::{ForceDisconnect, MainToSfu, ServerMute};
use crate::world::server::{WorldEvent, WorldOutput, WorldServer};
use crate::world::wire::{ClientMessage, ServerMessage, WireError};

/// Commands the world actor takes. Sent through [`WorldHandle`].
#[derive(Debug)]
pub enum WorldCommand {
    /// A `/world` socket opened; `outbound` receives what the world sends it.
    Open {
        conn: ConnId,
        addr: IpAddr,
        sfu_url: Option<String>,
        outbound: mpsc::Sender<WorldOutbound>,
    },
    Message {
        conn: ConnId,
        message: ClientMessage,
    },
    BadFrame {
        conn: ConnId,
        error: WireError,
    },
    Closed {
        conn: ConnId,
    },
    /// The SFU says `user` connected to or left `channel` (from the interop hub).
    MediaPresence {
        user: crate::ids::UserId,
        channel: crate::ids::ChannelId,
        connected: bool,
    },
    /// Users in the world, for `/healthz` and `/metrics`.
    Users(oneshot::Sender<usize>),
}

/// What a `/world` connection task must do.
#[derive(Debug)]
pub enum WorldOutbound {
    Message(ServerMessage),
    Close { code: u16, reason: &'static str },
}

const COMMAND_QUEUE: usize = 4096;
/// Queue depth of one connection's outbound messages; a connection this far behind is closed.
pub const OUTBOUND_QUEUE: usize = 1024;

#[derive(Debug, Clone)]
pub struct WorldHandle {
    commands: mpsc::Sender<WorldCommand>,
}

impl WorldHandle {
    pub async fn send(&self, command: WorldCommand) -> bool {
        self.commands.send(command).await.is_ok()
    }

    pub async fn users(&self) -> usize {
        let (tx, rx) = oneshot::channel();
        if !self.send(WorldCommand::Users(tx)).await {
            return 0;
        }
        rx.await.unwrap_or(0)
    }
}

pub struct WorldActor {
    world: WorldServer,
    /// Moderation reaches the SFU through the interop link, so a foreign SFU works too.
    interop: HubHandle,
    commands: mpsc::Receiver<WorldCommand>,
    connections: HashMap<ConnId, mpsc::Sender<WorldOutbound>>,
    shutdown: watch::Receiver<bool>,
}

impl WorldActor {
    pub fn new(
        world: WorldServer,
        interop: HubHandle,
        shutdown: watch::Receiver<bool>,
    ) -> (Self, WorldHandle) {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let actor = Self {
            world,
            interop,
            commands: rx,
            connections: HashMap::new(),
            shutdown,
        };
        (actor, WorldHandle { commands: tx })
    }

    pub async fn run(mut self) {
        loop {
            let deadline = self
                .world
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline.into()) => self.world.handle_timeout(now()),
            }
            self.flush().await;
        }
        for (_, outbound) in self.connections.drain() {
            let _ = outbound.try_send(WorldOutbound::Close {
                code: 1001,
                reason: "server shutting down",
            });
        }
    }

    fn on_command(&mut self, command: WorldCommand) {
        match command {
            WorldCommand::Open {
                conn,
                addr,
                sfu_url,
                outbound,
            } => {
                self.connections.insert(conn, outbound);
                self.world.handle_open(now(), conn, addr, sfu_url);
            }
            WorldCommand::Message { conn, message } => {
                self.world.handle_message(now(), conn, message)
            }
            WorldCommand::BadFrame { conn, error } => {
                self.world.handle_bad_frame(now(), conn, &error)
            }
            WorldCommand::Closed { conn } => {
                self.connections.remove(&conn);
                self.world.handle_close(now(), conn);
            }
            WorldCommand::MediaPresence {
                user,
                channel,
                connected,
            } => {
                self.world.handle_media_presence(user, channel, connected);
            }
            WorldCommand::Users(reply) => {
                let _ = reply.send(self.world.user_count());
            }
        }
    }

    async fn flush(&mut self) {
        while let Some(output) = self.world.poll_output() {
            match output {
                WorldOutput::Send { conn, message } => {
                    self.deliver(conn, WorldOutbound::Message(message))
                }
                WorldOutput::Close { conn, code, reason } => {
                    self.deliver(conn, WorldOutbound::Close { code, reason });
                    self.connections.remove(&conn);
                }
                WorldOutput::SfuMute {
                    user,
                    channel,
                    muted,
                } => {
                    let request = MainToSfu::ServerMute(ServerMute {
                        user_id: user,
                        channel_id: channel,
                        muted,
                    });
                    self.interop.send(HubCommand::Send(request)).await;
                }
                WorldOutput::SfuDisconnect {
                    user,
                    channel,
                    reason,
                } => {
                    let request = MainToSfu::ForceDisconnect(ForceDisconnect {
                        user_id: user,
                        channel_id: channel,
                        reason,
                    });
                    self.interop.send(HubCommand::Send(request)).await;
                }
                WorldOutput::Event(event) => log_event(&event),
            }
        }
    }

    fn deliver(&mut self, conn: ConnId, outbound: WorldOutbound) {
        let Some(tx) = self.connections.get(&conn) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(outbound) {
            tracing::warn!(%conn, "world connection too slow to keep up; closing it");
            let _ = tx.try_send(WorldOutbound::Close {
                code: 4008,
                reason: "too slow",
            });
            self.connections.remove(&conn);
            self.world.handle_close(now(), conn);
        }
    }
}

fn log_event(event: &WorldEvent) {
    match event {
        WorldEvent::Joined { user, name } => tracing::info!(%user, %name, "joined the world"),
        WorldEvent::Left { user, reason } => tracing::info!(%user, reason, "left the world"),
        WorldEvent::ZoneChanged { user, zone } => tracing::debug!(%user, %zone, "zone changed"),
        WorldEvent::Promoted { zone, users } => {
            tracing::info!(%zone, users, "zone promoted to the SFU")
        }
        WorldEvent::Demoted { zone } => tracing::info!(%zone, "zone back to P2P"),
        WorldEvent::AuthFailed { addr } => tracing::info!(%addr, "world sign-in failed"),
    }
}
