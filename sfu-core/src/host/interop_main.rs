//! The main server's end of the interop link: `GET /dspeak/interop` authenticates the SFU with a
//! `typ="interop"` token, and a hub actor keeps the media presence book, hands presence changes
//! to the world, and carries the world's requests (`force_disconnect`, server mute) to the SFU.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};

use super::AppState;
use super::world_actor::{WorldCommand, WorldHandle};
use super::ws::Ending;
use crate::auth::InteropTokenVerifier;
use crate::ids::{ChannelId, UserId};
use crate::interop::presence::{MediaPresenceBook, PresenceChange};
use crate::interop::wire::{MainToSfu, decode_sfu_to_main};

/// Hub commands. Sent through [`HubHandle`].
#[derive(Debug)]
pub enum HubCommand {
    Attach {
        link: u64,
        outbound: mpsc::Sender<String>,
    },
    Frame {
        link: u64,
        text: String,
    },
    Detach {
        link: u64,
    },
    /// A request for the SFU(s) from the world server.
    Send(MainToSfu),
    Snapshot(oneshot::Sender<HubSnapshot>),
}

/// The hub's state, for `/api/interop/presence`, `/metrics` and tests.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HubSnapshot {
    pub links: usize,
    pub events: u64,
    pub syncs: u64,
    /// Requests for the SFU dropped: no SFU came back while they were worth delivering.
    pub undelivered: u64,
    /// Requests waiting for an SFU to connect.
    pub pending: usize,
    pub channels: Vec<(ChannelId, Vec<UserId>)>,
}

#[derive(Debug, Clone)]
pub struct HubHandle {
    commands: mpsc::Sender<HubCommand>,
}

impl HubHandle {
    pub async fn send(&self, command: HubCommand) -> bool {
        self.commands.send(command).await.is_ok()
    }

    pub async fn snapshot(&self) -> HubSnapshot {
        let (tx, rx) = oneshot::channel();
        if !self.send(HubCommand::Snapshot(tx)).await {
            return HubSnapshot::default();
        }
        rx.await.unwrap_or_default()
    }
}

pub struct Hub {
    book: MediaPresenceBook,
    links: HashMap<u64, mpsc::Sender<String>>,
    world: Option<WorldHandle>,
    commands: mpsc::Receiver<HubCommand>,
    shutdown: watch::Receiver<bool>,
    undelivered: u64,
    /// Moderation for the SFU while none is connected, delivered when one connects.
    pending: VecDeque<(Instant, String)>,
}

/// Requests kept for an SFU that is not connected.
const MAX_PENDING: usize = 1024;
/// How long a kept request is worth delivering: a kick or removal older than the SFU tokens'
/// life (promotion tokens last 600 s) has nothing left to stop.
const PENDING_FOR: Duration = Duration::from_secs(600);

impl Hub {
    pub fn new(shutdown: watch::Receiver<bool>) -> (Self, HubHandle) {
        let (tx, rx) = mpsc::channel(4096);
        let hub = Self {
            book: MediaPresenceBook::default(),
            links: HashMap::new(),
            world: None,
            commands: rx,
            shutdown,
            undelivered: 0,
            pending: VecDeque::new(),
        };
        (hub, HubHandle { commands: tx })
    }

    /// Presence changes go to this world server.
    pub fn with_world(mut self, world: WorldHandle) -> Self {
        self.world = Some(world);
        self
    }

    pub async fn run(mut self) {
        loop {
            let command = tokio::select! {
                biased;
                _ = self.shutdown.changed() => break,
                command = self.commands.recv() => match command {
                    Some(command) => command,
                    None => break,
                },
            };
            match command {
                HubCommand::Attach { link, outbound } => {
                    tracing::info!(link, "SFU interop link connected");
                    self.expire_pending();
                    for (_, text) in self.pending.drain(..) {
                        let _ = outbound.try_send(text);
                    }
                    self.links.insert(link, outbound);
                }
                HubCommand::Detach { link } => {
                    tracing::info!(link, "SFU interop link closed");
                    self.links.remove(&link);
                }
                HubCommand::Frame { link, text } => self.on_frame(link, &text).await,
                HubCommand::Send(message) => {
                    let text = message.to_json();
                    if self.links.is_empty() {
                        // A kick, removal or mute must not be lost to an SFU restart: kept and
                        // delivered, in order, when an SFU connects.
                        self.expire_pending();
                        if self.pending.len() == MAX_PENDING {
                            self.pending.pop_front();
                            self.undelivered += 1;
                        }
                        tracing::info!("no SFU connected; interop request kept until one is");
                        self.pending.push_back((Instant::now(), text));
                        continue;
                    }
                    for outbound in self.links.values() {
                        let _ = outbound.try_send(text.clone());
                    }
                }
                HubCommand::Snapshot(reply) => {
                    let _ = reply.send(HubSnapshot {
                        links: self.links.len(),
                        events: self.book.events,
                        syncs: self.book.syncs,
                        undelivered: self.undelivered,
                        pending: self.pending.len(),
                        channels: self.book.channels(),
                    });
                }
            }
        }
    }

    /// Forgets kept requests too old to matter.
    fn expire_pending(&mut self) {
        while self
            .pending
            .front()
            .is_some_and(|(at, _)| at.elapsed() > PENDING_FOR)
        {
            self.pending.pop_front();
            self.undelivered += 1;
        }
    }

    async fn on_frame(&mut self, link: u64, text: &str) {
        match decode_sfu_to_main(text) {
            Ok(message) => {
                let changes = self.book.apply(&message);
                if let Some(world) = &self.world {
                    for change in changes {
                        let (user, channel, connected) = match change {
                            PresenceChange::Connected { user, channel } => (user, channel, true),
                            PresenceChange::Disconnected { user, channel } => {
                                (user, channel, false)
                            }
                        };
                        world
                            .send(WorldCommand::MediaPresence {
                                user,
                                channel,
                                connected,
                            })
                            .await;
                    }
                }
            }
            Err(error) => {
                tracing::warn!(link, %error, "bad interop message from an SFU");
                if let (Some(reply), Some(outbound)) = (error.reply(), self.links.get(&link)) {
                    let _ = outbound.try_send(reply.to_json());
                }
            }
        }
    }
}

/// `GET /dspeak/interop`: only an SFU holding a valid interop token gets in.
pub(super) async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let verifier = InteropTokenVerifier::new(&state.secret, &*state.issuer);
    let now = super::sfu_actor::now().unix_secs();
    let grant = match verifier.verify(token, now) {
        Ok(grant) => grant,
        Err(e) => {
            tracing::info!(error = %e, "interop link refused");
            return (
                StatusCode::UNAUTHORIZED,
                "a valid interop token is required",
            )
                .into_response();
        }
    };
    let link = state
        .next_conn
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let hub = state.hub.clone();
    ws.max_message_size(super::limits::INTEROP_MESSAGE)
        .max_frame_size(super::limits::INTEROP_MESSAGE)
        .on_upgrade(move |socket| async move {
            tracing::debug!(link, sfu = %grant.sfu_name, "interop link");
            serve(socket, link, hub).await;
        })
}

/// How often the main side pings an SFU's interop link.
const LINK_PING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);

async fn serve(socket: WebSocket, link: u64, hub: HubHandle) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel(1024);
    if !hub.send(HubCommand::Attach { link, outbound: tx }).await {
        super::ws::close(&mut sink, &mut stream, 1011, "server unavailable").await;
        return;
    }
    // The link may be quiet for minutes; pings keep bytes coming back (the SFU's socket answers
    // them), so the listener's idle close (`listener::READ_IDLE`) never takes a live link.
    let mut pings = tokio::time::interval(LINK_PING_INTERVAL);
    pings.reset();
    let ending = loop {
        tokio::select! {
            _ = pings.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() { break Ending::Gone }
            }
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if !hub.send(HubCommand::Frame { link, text: text.to_string() }).await {
                        break Ending::close(1011, "server unavailable");
                    }
                }
                Some(Ok(Message::Close(_))) => break Ending::ClosedByClient,
                Some(Err(_)) | None => break Ending::Gone,
                Some(Ok(_)) => {}
            },
            outbound = rx.recv() => match outbound {
                Some(text) => if sink.send(Message::Text(text.into())).await.is_err() { break Ending::Gone },
                None => break Ending::close(1001, "server shutting down"),
            },
        }
    };
    let _ = hub.send(HubCommand::Detach { link }).await;
    super::ws::finish(&mut sink, &mut stream, ending).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::wire::ForceDisconnect;

    #[tokio::test]
    async fn moderation_for_an_absent_sfu_is_delivered_when_one_connects() {
        let (_stop, shutdown) = watch::channel(false);
        let (hub, handle) = Hub::new(shutdown);
        tokio::spawn(hub.run());
        let kick = |user: i64| {
            HubCommand::Send(MainToSfu::ForceDisconnect(ForceDisconnect {
                user_id: UserId(user),
                channel_id: ChannelId(7),
                reason: "kicked".into(),
            }))
        };
        assert!(handle.send(kick(1)).await);
        assert!(handle.send(kick(2)).await);
        assert_eq!(
            handle.snapshot().await.pending,
            2,
            "kept while no SFU is linked"
        );
        let (outbound, mut link) = mpsc::channel(8);
        assert!(handle.send(HubCommand::Attach { link: 1, outbound }).await);
        for user in [1, 2] {
            let text = tokio::time::timeout(Duration::from_secs(5), link.recv())
                .await
                .expect("delivered on connect")
                .expect("open");
            assert!(
                text.contains("force_disconnect") && text.contains(&format!("\"{user}\"")),
                "{text}"
            );
        }
        let snapshot = handle.snapshot().await;
        assert_eq!((snapshot.pending, snapshot.undelivered), (0, 0));
    }
}
